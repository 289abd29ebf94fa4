"""The real processes that the tests start, each on a free loopback port: Daphne
servers. Every one of them is stopped again, even when a test fails."""

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


class Daphne(Process):
    """Daphne serving this step on a free port, with its static files, as runserver does."""

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
