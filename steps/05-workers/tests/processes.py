"""The real processes that the tests start, each on a free loopback port: Redis,
the workers and Daphne. Every one of them is stopped again, even when a test fails."""

import os
import shutil
import socket
import subprocess
import sys
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
