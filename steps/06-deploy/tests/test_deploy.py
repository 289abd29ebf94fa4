"""The deployment files agree with the Procfile and with each other.

Docker does not run on every machine that runs these tests, so compose.yaml, the
Dockerfile and the systemd unit are read and checked as files; nginx checks its own
config. The stack tests (tests/browser/test_stack.py) run the native stack for real.
"""

import configparser
import re
import shutil
import socket
import subprocess

import pytest
import yaml
from deploy.local import local_env
from deploy.render import render

from .processes import STEP_DIR, procfile

COMPOSE = yaml.safe_load((STEP_DIR / "compose.yaml").read_text())
NGINX_CONF = (STEP_DIR / "deploy/nginx.conf").read_text()


def placeholders(text):
    """The ${NAMES} of a config file."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", text))


def variables(command):
    """The $NAMES a Procfile line uses."""
    return set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", command))


def test_each_procfile_line_has_a_container_that_runs_it():
    ours = {
        name: service
        for name, service in COMPOSE["services"].items()
        if service.get("image") == "backchat" and "command" in service
    }
    # nginx and Redis come from their own images; every other line has a container.
    assert set(ours) == set(procfile()) - {"nginx", "redis"}
    for name, service in ours.items():
        assert service["command"] == [name]  # `honcho start --no-prefix <name>`
        assert variables(procfile()[name]) <= set(service["environment"])


def test_the_image_runs_procfile_lines_as_an_unprivileged_user():
    dockerfile = (STEP_DIR / "Dockerfile").read_text()
    assert re.search(r"^USER (?!root$)\w+$", dockerfile, re.MULTILINE)
    assert 'ENTRYPOINT ["honcho", "start", "--no-prefix"]' in dockerfile
    # Reproducible: a base image pinned to a patch release, packages by the lock file.
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11\.\d+-slim", dockerfile, re.MULTILINE)
    assert re.search(r"^FROM \$\{PYTHON_IMAGE\}$", dockerfile, re.MULTILINE)
    assert "pip install --no-cache-dir -r /tmp/requirements.txt -c /tmp/requirements.lock" in (
        dockerfile
    )


def test_the_image_is_built_from_this_folder_alone():
    build = COMPOSE["x-backchat"]["build"]
    assert build["context"] == "."
    assert "dockerfile" not in build  # ./Dockerfile
    dockerfile = (STEP_DIR / "Dockerfile").read_text()
    sources = [line.split()[1:-1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
    assert sources and all(".." not in source for copy in sources for source in copy)
    # The lock file pins every requirement (nox -s lock writes it).
    locked = (STEP_DIR / "requirements.lock").read_text().lower()
    for line in (STEP_DIR / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name = re.match(r"[\w-]+", line)[0].lower().replace("_", "-")
            assert re.search(rf"^{re.escape(name)}==", locked, re.MULTILINE), name


def image_default(name):
    """The image a service runs where its variable is unset: ${NAME_IMAGE:-default}; for
    our own image, its base image."""
    service = COMPOSE["services"][name]
    image = service["build"]["args"]["PYTHON_IMAGE"] if "build" in service else service["image"]
    return re.fullmatch(r"\$\{[A-Z]+_IMAGE:-(.+)\}", image)[1]


@pytest.mark.parametrize("name", sorted(COMPOSE["services"]))
def test_every_image_is_pinned(name):
    assert re.fullmatch(r"[a-z]+:\d+(\.\d+)+(-[a-z]+)*", image_default(name))


def test_the_servers_and_the_databases_have_health_checks():
    for name in ("db", "redis", "uwsgi", "daphne1", "daphne2"):
        assert COMPOSE["services"][name]["healthcheck"]["test"]


def test_each_deployment_collects_the_static_files_nginx_and_django_read():
    services = COMPOSE["services"]
    assert "collectstatic --no-input" in services["migrate"]["entrypoint"][-1]
    assert services["migrate"]["volumes"] == ["static:/srv/static"]  # the image's STATIC_ROOT
    for name in procfile().keys() - {"nginx", "redis"}:
        assert services[name]["volumes"] == ["static:/srv/static:ro"]  # Django's manifest
    nginx = services["nginx"]
    assert f"static:{nginx['environment']['DJANGO_STATIC_ROOT']}:ro" in nginx["volumes"]


def test_nginx_runs_in_the_foreground_by_its_command_line_not_its_config():
    # So the same config suits a distribution's nginx.service, which daemonizes.
    assert "daemon" not in NGINX_CONF
    assert '-g "daemon off;"' in procfile()["nginx"]
    assert "command" not in COMPOSE["services"]["nginx"]  # the image's own: daemon off


def test_nginx_in_compose_gets_every_placeholder_of_its_config():
    environment = COMPOSE["services"]["nginx"]["environment"]
    assert placeholders(NGINX_CONF) <= set(environment)
    assert placeholders(render(NGINX_CONF, environment)) == set()


def test_the_local_environment_has_every_variable_the_stack_needs():
    env = local_env(8000, "/tmp/run")
    used = set().union(*map(variables, procfile().values())) | placeholders(NGINX_CONF)
    assert used <= set(env)


def test_render_refuses_a_missing_variable():
    with pytest.raises(SystemExit, match="Set these environment variables first: RUN_DIR"):
        render("pid ${RUN_DIR}/nginx.pid; host $host;", {})
    assert render("pid ${RUN_DIR}/x; host $host;", {"RUN_DIR": "/r"}) == "pid /r/x; host $host;"


def check_nginx(config, directory, stdout=subprocess.PIPE):
    """nginx's own test of a config, run as Debian's nginx.service runs it before starting,
    with its output a pipe (as honcho and Docker give it): the problems it reports, or ""."""
    nginx = shutil.which("nginx") or pytest.fail(
        "nginx was not found. Install it: sudo apt-get install nginx (Debian, Ubuntu, WSL), "
        "brew install nginx (macOS)"
    )
    (directory / "nginx.conf").write_text(config)
    checked = subprocess.run(
        [nginx, "-t", "-g", "daemon on; master_process on;"]
        + ["-e", "stderr", "-p", directory, "-c", "nginx.conf"],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )
    return "" if checked.returncode == 0 else checked.stderr


def test_nginx_accepts_its_config(tmp_path):
    assert check_nginx(render(NGINX_CONF, local_env(8000, tmp_path)), tmp_path) == ""


def test_nginx_accepts_its_config_under_systemd(tmp_path):
    # systemd hands nginx the journal as its output: a socket, not a file or a pipe.
    env = local_env(8000, tmp_path) | {"NGINX_ACCESS_LOG": str(tmp_path / "access.log")}
    journal, output = socket.socketpair()
    with journal, output:
        assert check_nginx(render(NGINX_CONF, env), tmp_path, stdout=output) == ""


def directive(name):
    """The number that a directive of nginx.conf sets."""
    return int(re.search(rf"^\s*{name} (\d+);", NGINX_CONF, re.M).group(1))


def test_nginx_may_open_a_file_for_every_connection_it_accepts():
    # Each connection is a file descriptor; 1,024 is a common default limit.
    assert directive("worker_rlimit_nofile") >= directive("worker_connections") > 1024


def test_uwsgi_takes_every_header_nginx_lets_through():
    count, size = re.search(r"large_client_header_buffers (\d+) (\d+)k;", NGINX_CONF).groups()
    uwsgi = configparser.ConfigParser(interpolation=None)
    uwsgi.read(STEP_DIR / "deploy/uwsgi.ini")
    assert int(uwsgi["uwsgi"]["buffer-size"]) >= int(count) * int(size) * 1024


def test_the_systemd_unit_runs_a_procfile_line_by_name():
    unit = configparser.ConfigParser(interpolation=None)
    unit.read(STEP_DIR / "deploy/systemd/backchat@.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("/honcho start --no-prefix %i")
    assert service["Environment"].startswith("PATH=/srv/backchat/venv/bin:")
    assert service["User"] != "root"
    assert service["Restart"] == "always"


def test_nginx_accepts_its_config_with_https(tmp_path):
    # A certificate of our own, for the test: certbot makes the real one.
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", tmp_path / "key.pem", "-out", tmp_path / "cert.pem"],
        check=True, capture_output=True,
    )  # fmt: skip
    https = (STEP_DIR / "deploy/https.conf").read_text()
    config = NGINX_CONF.replace("listen ${NGINX_LISTEN};", https)
    env = local_env(8000, tmp_path) | {
        "TLS_CERTIFICATE": str(tmp_path / "cert.pem"),
        "TLS_CERTIFICATE_KEY": str(tmp_path / "key.pem"),
    }
    assert check_nginx(render(config, env), tmp_path) == ""
