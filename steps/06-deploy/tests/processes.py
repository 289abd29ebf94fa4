"""The real processes that the tests start, each on a free loopback port: Redis,
the workers and Daphne. Every one of them is stopped again, even when a test fails."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

STEP_DIR = Path(__file__).resolve().parents[1]
# Seconds a process may take to get ready: Django alone can take 15 on a slow, busy
# laptop. Only a failing start waits this long.
STARTUP = 120

REDIS_MISSING = (
    "These tests need a real Redis, and redis-server was not found. Install it:\n"
    "  Debian, Ubuntu, WSL: sudo apt-get install redis-server\n"
    "  macOS: brew install redis"
)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_in_use(port):
    with socket.socket() as probe:
        # Lets the bind through a closed connection's TIME_WAIT, never past a listener.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


class Process:
    """A command started with a log file of its own, shown when it fails to start."""

    def __init__(self, name, args, log_dir, env=None):
        self.name, self.args, self.env = name, args, env
        self.log = Path(log_dir) / f"{name}.log"
        self.process = None

    def start(self):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.args, cwd=STEP_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self):
        """Gone at once, the way a crash goes: nothing runs its clean-up."""
        self.process.kill()
        self.process.wait()

    def wait_until(self, ready, what):
        """Wait for ready(); if the process exits first, or time runs out, it is stopped
        and the test fails with its log."""
        deadline = time.monotonic() + STARTUP
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(
                    f"{self.name} did not {what} within {STARTUP} s (exit code "
                    f"{self.process.returncode}); its log:\n{self.log.read_text()}"
                )
            time.sleep(0.05)

    def wait_for_port(self, port):
        def listening():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            except OSError:
                return False
            return True

        self.wait_until(listening, f"listen on port {port}")

    def wait_for_log(self, text):
        self.wait_until(lambda: text in self.log.read_text(), f"log {text!r}")


class Redis(Process):
    """A private redis-server that keeps nothing on disk; stop() and start() keep its port."""

    def __init__(self, log_dir):
        if shutil.which("redis-server") is None:
            pytest.fail(REDIS_MISSING)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(log_dir)]
        super().__init__("redis", args, log_dir)

    def start(self):
        super().start()
        self.wait_for_port(self.port)


# A worker reads its channels from the workers' layer, as in the Procfile.
WORKER = ["runworker", "--layer", "workers"]


def manage(name, log_dir, env, *args):
    """A long-running manage.py command (runworker, tick, ...) of the app."""
    return Process(name, [sys.executable, "manage.py", *args], log_dir, env)


def django_env(redis, database, **extra):
    """The environment of every process that serves or changes the tests' database."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", PYTHONUNBUFFERED="1")
    return env | {"REDIS_URL": redis.url, "BACKCHAT_TEST_DB": str(database)} | extra


class Daphne(Process):
    """Daphne serving the app on a free port, with its static files, as runserver does."""

    def __init__(self, log_dir, env, *daphne_args, app="tests.browser.asgi:application"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        # Daphne refuses a handshake the application has not answered within 5 s, which
        # a busy machine can take.
        args += ["--websocket_connect_timeout", str(STARTUP)]
        super().__init__(f"daphne-{self.port}", [*args, *daphne_args, app], log_dir, env)

    def start(self):
        super().start()
        self.wait_for_port(self.port)


POSTGRES_MISSING = (
    "These tests need PostgreSQL's initdb and pg_ctl, which were not found. Install them:\n"
    "  Debian, Ubuntu, WSL: sudo apt-get install postgresql\n"
    "  macOS: brew install postgresql@15, then put $(brew --prefix postgresql@15)/bin on PATH"
)


def postgres_program(name):
    """initdb or pg_ctl: on PATH, or where Debian keeps them (/usr/lib/postgresql/N/bin)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3])
    )
    found = shutil.which(name) or (versions and str(versions[-1]))
    if not found:
        pytest.fail(POSTGRES_MISSING)
    return str(Path(found).resolve())  # the real directory, where createdb is too


class Postgres:
    """A private PostgreSQL cluster on a free port, in a directory of its own.

    PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
    """

    def __init__(self):
        self.port = free_port()
        self.url = f"postgres://backchat@127.0.0.1:{self.port}/backchat"
        self.dir = Path(tempfile.mkdtemp(prefix="backchat-postgres-"))
        self.as_owner = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def run(self, *args):
        done = subprocess.run([*self.as_owner, *args], capture_output=True, text=True, cwd=self.dir)
        if done.returncode:
            pytest.fail(f"{args[0]} failed:\n{done.stdout}{done.stderr}")

    def start(self):
        data = self.dir / "data"
        self.run(postgres_program("initdb"), "-D", data, "-U", "backchat", "--auth=trust")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        pg_ctl = postgres_program("pg_ctl")
        try:
            self.run(
                pg_ctl, "-D", data, "-o", options, "-l", self.dir / "log",
                "-w", "-t", str(STARTUP), "start",
            )  # fmt: skip
            self.run(
                Path(pg_ctl).with_name("createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                "-U", "backchat", "backchat",
            )  # fmt: skip
        except BaseException:  # pytest.fail's exception too: stop what did start
            stop = [*self.as_owner, pg_ctl, "-D", data, "-m", "immediate", "stop"]
            subprocess.run(stop, capture_output=True, cwd=self.dir)
            shutil.rmtree(self.dir)
            raise

    def stop(self):
        self.run(postgres_program("pg_ctl"), "-D", self.dir / "data", "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir)


def procfile():
    """The project's Procfile: {process name: command}."""
    lines = (STEP_DIR / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))


class Stack:
    """The whole stack from the project's own Procfile and config files, every line of the
    Procfile a process of its own, with the environment deploy/local.py gives."""

    def __init__(self, log_dir, database_url):
        from deploy.local import local_env

        run_dir = Path(tempfile.mkdtemp(prefix="backchat-run-"))
        run_dir.chmod(0o755)  # nginx's workers run as "nobody" when it is started as root
        self.env = dict(os.environ) | local_env(free_port(), run_dir)
        # The programs of this environment (uwsgi, daphne, python) before any other.
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env['PATH']}"
        self.env |= {
            "DJANGO_SETTINGS_MODULE": "backchat.settings",
            "DATABASE_URL": database_url,
            "DJANGO_STATIC_ROOT": str(run_dir / "static"),
            "PYTHONUNBUFFERED": "1",
        }
        self.url = f"http://{self.env['NGINX_LISTEN']}"
        self.run_dir = run_dir
        self.processes = {
            name: Process(name, ["bash", "-c", command], log_dir, self.env)
            for name, command in procfile().items()
        }

    def manage(self, *args):
        subprocess.run([sys.executable, "manage.py", *args], cwd=STEP_DIR, env=self.env, check=True)

    # How to tell that a process is up: the port it listens on, or its first log line.
    PORTS = {
        "nginx": "PORT",
        "redis": "REDIS_PORT",
        "uwsgi": "WSGI_PORT",
        "daphne1": "DAPHNE_1_PORT",
        "daphne2": "DAPHNE_2_PORT",
    }

    def start(self, *names):
        names = names or list(self.processes)
        for name in names:
            self.processes[name].start()
        for name in names:
            if name in self.PORTS:
                self.processes[name].wait_for_port(int(self.env[self.PORTS[name]]))
            elif name in ("worker", "reports"):
                self.processes[name].wait_for_log("Reading jobs from")

    def stop(self):
        for process in self.processes.values():
            process.stop()
        shutil.rmtree(self.run_dir)

    def still_listening(self):
        """The servers whose port something still listens on: a child left behind (an nginx
        or uWSGI worker holds its master's socket) would answer there."""
        return [name for name, port in self.PORTS.items() if port_in_use(int(self.env[port]))]
