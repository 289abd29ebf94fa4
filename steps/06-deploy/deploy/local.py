"""The environment of the whole stack on one machine: every service on 127.0.0.1,
each on a free port, and a fresh secret key.

    python deploy/local.py 8000 /tmp/backchat-run   # prints it as JSON

A laptop and the tests run the stack with it; on a server, or in containers, the same
variables are set by hand (see compose.yaml and deploy/systemd/).
"""

import json
import os
import secrets
import socket
import sys
from pathlib import Path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def local_env(port, run_dir):
    env = {"BIND": "127.0.0.1", "PORT": str(port), "RUN_DIR": str(run_dir)}
    # nginx lives in /usr/sbin on Debian and Ubuntu, not on an ordinary user's PATH.
    env["PATH"] = os.pathsep.join([os.environ["PATH"], "/usr/sbin", "/usr/local/sbin"])
    # Not UWSGI_...: uWSGI reads every UWSGI_* variable as one of its options.
    for name in ("WSGI", "DAPHNE_1", "DAPHNE_2", "REDIS"):
        env[f"{name}_PORT"] = str(free_port())
        env[f"{name}_ADDRESS"] = f"127.0.0.1:{env[f'{name}_PORT']}"
    env["NGINX_LISTEN"] = f"127.0.0.1:{port}"
    env["NGINX_ACCESS_LOG"] = "/dev/stdout"
    env["DJANGO_STATIC_ROOT"] = str(Path(__file__).resolve().parents[1] / "staticfiles")
    env["REDIS_URL"] = f"redis://{env['REDIS_ADDRESS']}/0"
    # A new secret on each start: everybody is logged out when the stack restarts.
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


if __name__ == "__main__":
    print(json.dumps(local_env(*sys.argv[1:])))
