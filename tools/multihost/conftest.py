"""Backchat across hosts: Redis, PostgreSQL, two app hosts and nginx, each on a host of
its own (network namespaces, see network.py), run from step 06's own Procfile and config
files with nothing changed but addresses, through the environment.

Linux and root only; skipped elsewhere, saying why. As root on Linux, a program that is
missing fails the tests instead: a skip would hide it. `nox -s multihost` runs them, in
step 06's environment.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest

# The step these tests run, found by its path: its modules are imported from its folder.
STEP_DIR = Path(__file__).resolve().parents[2] / "steps" / "06-deploy"
sys.path.insert(0, str(STEP_DIR))

from deploy.local import local_env  # noqa: E402

from tests.processes import Postgres, Process, Stack, postgres_program, procfile  # noqa: E402

from .network import ADDRESSES, PATH, Network  # noqa: E402
from .users import Browser  # noqa: E402

SITE = f"http://{ADDRESSES['web']}"  # nginx, as the users reach it

# Which lines of the Procfile run on which host. (reports and tick would run on an app
# host too; these tests need neither.)
PLAN = {
    "app1": ["uwsgi", "daphne1", "worker"],
    "app2": ["uwsgi", "daphne2", "worker"],
    "web": ["nginx"],
}


def environment(run_dir, redis_url, database_url):
    """What every host's processes get: the stack's environment on one machine
    (deploy/local.py: one secret key, ...), with the hosts' names and ports as addresses."""
    env = dict(os.environ) | local_env(80, run_dir)
    return env | {
        # The programs of this environment (uwsgi, daphne, python) first, as in Stack.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
        "DJANGO_SETTINGS_MODULE": "backchat.settings",
        "DJANGO_STATIC_ROOT": str(run_dir / "static"),
        "PYTHONUNBUFFERED": "1",
        # Each server on its host, on the port that compose.yaml gives it.
        "WSGI_PORT": "8001",
        "DAPHNE_1_PORT": "8002",
        "DAPHNE_2_PORT": "8003",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "WSGI_ADDRESS": "app:8001",  # "app" has both app hosts' addresses
        "DAPHNE_1_ADDRESS": "app1:8002",
        "DAPHNE_2_ADDRESS": "app2:8003",
        "NGINX_LISTEN": f"{ADDRESSES['web']}:80",
        "DJANGO_ALLOWED_HOSTS": ADDRESSES["web"],
    }


class Redis(Process):
    """Redis on the redis host, on its address and Redis's usual port, with a password.
    (The Procfile's `redis` line is for one machine: with no password, Redis's protected
    mode refuses every client that is not on the loopback.)"""

    def __init__(self, network, log_dir):
        self.password = secrets.token_urlsafe(16)
        self.url = f"redis://:{self.password}@redis:6379/0"
        args = ["redis-server", "--bind", ADDRESSES["redis"], "--port", "6379"]
        args += ["--requirepass", self.password, "--save", "", "--appendonly", "no"]
        super().__init__("redis", network.command("redis", args), log_dir)


class Database(Postgres):
    """processes.Postgres on the db host: on its address and PostgreSQL's usual port,
    and only the app hosts may connect, with a password."""

    def __init__(self, network):
        super().__init__()
        self.port, self.password = 5432, secrets.token_urlsafe(16)
        self.url = f"postgres://backchat:{self.password}@db:5432/backchat"
        self.as_owner = network.command("db", self.as_owner)

    def start(self):
        data, password = self.dir / "data", self.dir / "password"
        password.write_text(self.password)
        self.run(
            postgres_program("initdb"), "-D", data, "-U", "backchat", f"--pwfile={password}",
            "--auth-local=trust", "--auth-host=scram-sha-256",
        )  # fmt: skip
        with open(data / "pg_hba.conf", "a") as rules:
            for host in ("app1", "app2"):
                rules.write(f"host backchat backchat {ADDRESSES[host]}/32 scram-sha-256\n")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses={ADDRESSES['db']}"
        pg_ctl = postgres_program("pg_ctl")
        self.run(pg_ctl, "-D", data, "-o", options, "-l", self.dir / "log", "-w", "start")
        createdb = Path(pg_ctl).with_name("createdb")
        self.run(createdb, "-h", self.dir, "-p", str(self.port), "-U", "backchat", "backchat")


class Cluster:
    """The stack spread over the hosts: every line of PLAN a process on its host, with
    the same environment everywhere but BIND, the host's own address."""

    def __init__(self, network, log_dir, redis_url, database_url):
        self.network = network
        self.run_dir = Path(tempfile.mkdtemp(prefix="backchat-run-"))
        self.run_dir.chmod(0o755)  # nginx's workers run as "nobody"
        self.env = environment(self.run_dir, redis_url, database_url)
        commands = procfile()
        self.processes = {
            (host, name): Process(
                f"{host}-{name}",
                network.command(host, ["bash", "-c", commands[name]]),
                log_dir,
                self.env | {"BIND": ADDRESSES[host]},
            )
            for host, names in PLAN.items()
            for name in names
        }

    def manage(self, *args):
        """Run a manage.py command on app1; its output."""
        env = self.env | {"BIND": ADDRESSES["app1"]}
        command = self.network.command("app1", [sys.executable, "manage.py", *args])
        done = subprocess.run(
            command, cwd=STEP_DIR, env=env, capture_output=True, text=True, timeout=120
        )
        if done.returncode:
            pytest.fail(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self, *hosts):
        """Start every process of these hosts, and wait until each is up."""
        started = [key for key in self.processes if key[0] in hosts]
        for key in started:
            self.processes[key].start()
        for host, name in started:
            self.wait_until_up(host, name)

    def wait_until_up(self, host, name):
        """Until its port answers from the users host, or a worker logs that it reads jobs."""
        process = self.processes[host, name]
        if name not in Stack.PORTS:
            process.wait_for_log("Reading jobs from")
            return
        port = int(self.env[Stack.PORTS[name]])
        process.wait_until(lambda: self.reachable(host, port), f"listen on {host}:{port}")

    def reachable(self, host, port):
        """True if a connection from the users host to host:port succeeds."""
        with self.network.inside("users"):
            try:
                socket.create_connection((ADDRESSES[host], port), timeout=0.5).close()
            except OSError:
                return False
        return True

    def kill(self, host):
        """Every process on the host killed at once, the way a crash goes."""
        self.network.kill(host)
        for (where, _), process in self.processes.items():
            if where == host:
                process.process.wait(timeout=30)

    def stop(self):
        for process in self.processes.values():
            process.stop()

    def websockets(self):
        """How many lobby sockets each app host's Daphne has accepted (its access log)."""
        return Counter(
            {
                host: process.log.read_text().count("WSCONNECT /ws/rooms/lobby/")
                for (host, name), process in self.processes.items()
                if name.startswith("daphne")
            }
        )

    def requests(self, request):
        """How many times the app hosts' uWSGI logged a request such as "POST /accounts/login/"."""
        return sum(
            process.log.read_text().count(f"] {request} =>")
            for (_, name), process in self.processes.items()
            if name == "uwsgi"
        )


PROGRAMS = {"ip": "iproute2", "redis-server": "redis-server", "nginx": "nginx"}


def require_root_on_linux():
    """Skip where namespaces are out of reach; as root on Linux, fail if a program is missing."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the multi-host tests need Linux: each host is a network namespace")
    if os.geteuid() != 0:
        pytest.skip("the multi-host tests need root, to create network namespaces")
    missing = {
        name: package for name, package in PROGRAMS.items() if not shutil.which(name, path=PATH)
    }
    if missing:
        pytest.fail(
            f"The multi-host tests need {', '.join(missing)}, which were not found. Install:\n"
            f"  Debian, Ubuntu: sudo apt-get install {' '.join(missing.values())}"
        )
    postgres_program("initdb")  # fails, saying how to install PostgreSQL


@pytest.fixture(scope="session")
def network():
    """The hosts. Afterwards, no process is left on any of them, and they are all gone."""
    require_root_on_linux()
    network = Network()
    try:
        network.create()
        yield network
    finally:
        existing = network.remaining()
        left = {
            host: pids
            for host in ADDRESSES
            if network.namespace(host) in existing and (pids := network.pids(host))
        }
        for host in left:
            network.kill(host)
        network.delete()
    assert left == {}  # {host: [pids]} of the processes still running after the tests
    assert network.remaining() == []


@pytest.fixture(scope="session")
def cluster(network, tmp_path_factory):
    """Redis and the database, migrated and seeded, then the app hosts and nginx."""
    log_dir = tmp_path_factory.mktemp("multihost")
    redis, database = Redis(network, log_dir), Database(network)
    cluster = Cluster(network, log_dir, redis.url, database.url)
    with ExitStack() as cleanup:  # stops what started, the last first
        cleanup.callback(shutil.rmtree, cluster.run_dir)
        cleanup.callback(redis.stop)
        redis.start()
        database.start()
        cleanup.callback(database.stop)
        cleanup.callback(cluster.stop)
        redis.wait_until(lambda: cluster.reachable("redis", 6379), "listen on redis:6379")
        cluster.manage("migrate", "-v0")
        cluster.manage("collectstatic", "--no-input", "-v0")
        seeded = cluster.manage("seed_demo", f"--site={SITE}")
        cluster.invite = re.search(r"/join/[\w-]+/", seeded)[0]  # the lobby's invite link
        cluster.password = re.search(r"the password '(.+)'", seeded)[1]  # alice's and bob's
        cluster.start("app1", "app2", "web")
        yield cluster


@pytest.fixture
def open_browser(cluster):
    """Opens a browser on the users host; its sockets are closed after the test."""
    browsers = []

    def open_browser():
        browsers.append(Browser(cluster.network, SITE))
        return browsers[-1]

    yield open_browser
    for browser in browsers:
        browser.close()
