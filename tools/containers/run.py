"""`nox -s containers`: step 06's Dockerfile and compose.yaml, built and run for real.

    python tools/containers/run.py [--record FILE]

1. Docker: the daemon that answers, or one started here (root on Linux) and stopped at
   the end.
2. The images: official ones where a registry answers, else local stand-ins built from
   Debian's packages under names of their own (images.py says which, and why).
3. The step is copied to a temporary folder first, and built and run from there: it
   needs nothing outside itself.
4. `compose up --build`, then through nginx what the native stack tests check: static
   files from nginx with caching headers, sign-up and log-in through uWSGI, two users on
   different Daphnes seeing each other, a slash command answered by the worker, every
   health check passing, the migrations applied once.
5. `compose down -v`, then: no container, network or volume of the project is left.

--record FILE builds without Docker's cache and writes the image's size and the time
the build and `compose up` took, as a sentence for step 06's page.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import images

import chat

ROOT = Path(__file__).resolve().parents[2]
STEP = ROOT / "steps/06-deploy"
HEALTHY_WITHIN = 300  # seconds for the whole stack to come up healthy, on a slow laptop
SERVERS = ["db", "redis", "uwsgi", "daphne1", "daphne2"]  # those with a health check
LONG_RUNNING = [*SERVERS, "worker", "reports", "tick", "nginx"]


RECORD = """\
Measured by `nox -s containers -- --record` on {date}, on {cores} cores with a load
average of {load:.1f} when it started: the image is **{size:.0f} MB**, on `{base}`
(`{official}` where a registry answers), built from scratch in **{build:.0f} s**;
`{compose} up` then took **{up:.0f} s** until every health check passed.
"""


def log(text):
    print(f"containers: {text}", flush=True)


def docker_answers():
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@contextmanager
def docker_daemon(log_dir):
    """The running Docker daemon, or one of our own for the duration."""
    if shutil.which("docker") and docker_answers():
        yield
        return
    dockerd = shutil.which("dockerd") or shutil.which("dockerd", path="/usr/sbin:/sbin")
    if dockerd is None or shutil.which("docker") is None:
        sys.exit(
            "containers: Docker is missing. Debian, Ubuntu: sudo apt-get install docker.io "
            "docker-compose mmdebstrap; elsewhere: https://docs.docker.com/engine/install/"
        )
    if os.geteuid() != 0:
        sys.exit("containers: no Docker daemon answers, and starting one needs root: start it")
    log("no Docker daemon answers: starting dockerd, to stop it at the end")
    with open(log_dir / "dockerd.log", "wb") as output:
        daemon = subprocess.Popen([dockerd], stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not docker_answers():
            if daemon.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"containers: dockerd did not start; its log: {log_dir / 'dockerd.log'}")
            time.sleep(0.5)
        yield
    finally:
        daemon.send_signal(signal.SIGTERM)  # it stops its containers and containerd too
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log("stopped the dockerd started here")


def compose_command():
    """Compose v2 (`docker compose`) where it is installed, else the older docker-compose."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    sys.exit("containers: Docker Compose is missing. Debian: sudo apt-get install docker-compose")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Project:
    """One compose project, named after this run so that it touches nobody else's."""

    def __init__(self, folder, env):
        self.folder, self.env = folder, env
        self.name = f"backchat-check-{os.getpid()}"
        self.compose = [*compose_command(), "--project-name", self.name]

    def run(self, *args, capture=False, check=True):
        result = subprocess.run(
            [*self.compose, *args], cwd=self.folder, env=self.env, check=check,
            capture_output=capture, text=True,
        )  # fmt: skip
        return result.stdout

    def containers(self, service):
        """The ids of a service's containers, stopped ones included."""
        return self.leftovers("ps", service=service)

    def leftovers(self, kind, service=None):
        """The ids of this project's containers ("ps"), networks or volumes."""
        label = f"com.docker.compose.project={self.name}"
        filters = ["--filter", f"label={label}"]
        if service:
            filters += ["--filter", f"label=com.docker.compose.service={service}"]
        command = (
            ["docker", kind, "ls", "-q", *filters]
            if kind != "ps"
            else ["docker", "ps", "-aq", *filters]
        )
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()

    def state(self, service):
        [container] = self.containers(service)
        output = subprocess.run(
            ["docker", "inspect", "--format", "{{json .State}}", container],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return json.loads(output)

    def logs(self, service):
        return self.run("logs", "--no-color", service, capture=True)

    def wait_until_healthy(self):
        """Every health check passing, nginx answering; fails naming what is not ready."""
        deadline = time.monotonic() + HEALTHY_WITHIN
        while True:
            states = {name: self.state(name) for name in LONG_RUNNING}
            waiting = [
                name for name, s in states.items()
                if not s["Running"] or (name in SERVERS and s["Health"]["Status"] != "healthy")
            ]  # fmt: skip
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not healthy after {HEALTHY_WITHIN} s: {', '.join(waiting)}")
            time.sleep(1)


def copy_step(destination):
    """The step as a learner copies it: the folder alone, without what runs leave behind."""
    ignore = shutil.ignore_patterns("__pycache__", "staticfiles", "db.sqlite3*", ".pytest_cache")
    shutil.copytree(STEP, destination, ignore=ignore)
    return destination


def check_stack(project, url):
    """Through nginx, what the native stack tests check."""
    carol, dave = chat.Browser(url), chat.Browser(url)

    # Static files: nginx serves them itself, for a year; Django never sees them.
    _, page = carol.get("/accounts/login/")
    stylesheet = re.search(r'href="(/static/css/backchat\.[0-9a-f]{12}\.css)"', page)[1]
    with carol.opener.open(url + stylesheet, timeout=chat.DEADLINE) as response:
        assert response.headers["server"] == "nginx", response.headers
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert stylesheet not in project.logs("uwsgi"), "uWSGI served a static file"
    log(f"nginx serves {stylesheet} itself, cacheable for a year")

    # Pages and forms: uWSGI.
    carol.sign_up("carol", "a-long-passphrase")
    chat.Browser(url).log_in("carol", "a-long-passphrase")
    uwsgi = project.logs("uwsgi")
    assert "POST /accounts/signup/" in uwsgi and "POST /accounts/login/" in uwsgi, uwsgi[-2000:]
    log("sign-up and log-in went through uWSGI")

    # Two users in one room, each on a Daphne of their own.
    slug, invite = carol.create_room("Containers")
    dave.sign_up("dave", "another-long-passphrase")
    dave.accept(invite)
    connects = {name: 0 for name in ("daphne1", "daphne2")}

    def open_counted(user):
        before = {
            name: project.logs(name).count(f"WSCONNECT /ws/rooms/{slug}/") for name in connects
        }
        socket = user.open_socket(slug)
        chat.wait_for(socket, "carol|dave", "the room's presence list")  # connected
        after = {
            name: project.logs(name).count(f"WSCONNECT /ws/rooms/{slug}/") for name in connects
        }
        [daphne] = [name for name in connects if after[name] > before[name]]
        return socket, daphne

    carols, carols_daphne = open_counted(carol)
    daves, daves_daphne = open_counted(dave)
    for _ in range(3):  # nginx takes turns; other sockets may have taken one
        if daves_daphne != carols_daphne:
            break
        daves.close()
        daves, daves_daphne = open_counted(dave)
    assert daves_daphne != carols_daphne, f"both sockets went to {daves_daphne}"
    log(f"carol's socket is on {carols_daphne}, dave's on {daves_daphne}")
    with carols, daves:
        chat.send(carols, "Hi Dave, from the other Daphne")
        chat.wait_for(daves, "Hi Dave, from the other Daphne", "carol's message at dave's")
        chat.send(daves, "Hi Carol, through Redis")
        chat.wait_for(carols, "Hi Carol, through Redis", "dave's message at carol's")
        log("carol and dave see each other's messages across the two Daphnes")
        chat.send(carols, "/roll 2d6")
        roll = chat.wait_for(daves, r"/roll 2d6 → [^<\"]+", "the worker's answer to /roll 2d6")
        log(f"the worker answered: {roll[0]}")


def check_migrated_once(project):
    """One migrate container, which succeeded and applied each migration once; nothing
    left to apply."""
    [migrate] = project.containers("migrate")
    state = project.state("migrate")
    assert state["Status"] == "exited" and state["ExitCode"] == 0, state
    applied = [line for line in project.logs("migrate").splitlines() if "Applying " in line]
    names = [line.split("Applying ")[1].split("...")[0] for line in applied]
    assert names and len(names) == len(set(names)), applied
    project.run("exec", "-T", "uwsgi", "python", "manage.py", "migrate", "--check", capture=True)
    log(f"the migrations ran once, before the servers: {len(names)} applied, none left")


def image_size(name):
    output = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", name],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return int(output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", type=Path, help="build from scratch; write what it measured")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="backchat-containers-") as tmp:
        tmp = Path(tmp)
        with docker_daemon(tmp):
            chosen = images.resolve(STEP / "compose.yaml")
            folder = copy_step(tmp / "backchat")
            log(f"building and running a copy of the step, in {folder}")
            port = free_port()
            env = os.environ | chosen | {
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "POSTGRES_PASSWORD": secrets.token_urlsafe(20),
                "PORT": str(port),
            }  # fmt: skip
            project = Project(folder, env)
            try:
                load = os.getloadavg()[0]
                started = time.monotonic()
                # For the record, a build from scratch: no layer of an earlier one.
                project.run("build", *(["--no-cache"] if args.record else []))
                built = time.monotonic()
                project.run("up", "--detach")
                project.wait_until_healthy()
                up = time.monotonic()
                log(f"built in {built - started:.0f} s, up and healthy {up - built:.0f} s later")
                check_stack(project, f"http://127.0.0.1:{port}")
                check_migrated_once(project)
                size = image_size("backchat")
            finally:
                project.run("down", "--volumes", "--remove-orphans", "--timeout", "30", check=False)
            left = {kind: project.leftovers(kind) for kind in ("ps", "network", "volume")}
            assert not any(left.values()), f"compose down -v left behind: {left}"
            log("compose down -v left no container, network or volume behind")
    log(f"the image is {size / 1e6:.0f} MB; built in {built - started:.0f} s, "
        f"up and healthy {up - built:.0f} s later")  # fmt: skip
    if args.record:
        args.record.parent.mkdir(parents=True, exist_ok=True)
        measured = {
            "date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(), "load": load,
            "size": size / 1e6, "build": built - started, "up": up - built,
            "base": chosen["PYTHON_IMAGE"], "compose": " ".join(project.compose[:-2]),
            "official": images.defaults(STEP / "compose.yaml")["PYTHON_IMAGE"],
        }  # fmt: skip
        args.record.write_text(RECORD.format(**measured), encoding="utf-8")
        log(f"wrote {args.record}")


if __name__ == "__main__":
    main()
