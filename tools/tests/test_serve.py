"""tools/serve.py keeps a served step running when one of its processes exits, and
`nox -s serve` reuses its environment while the lock and the requirements stay the same."""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "tools/serve.py"

# A process that says its pid, then waits to be killed.
SAY_PID_AND_WAIT = "import os, time; print('pid', os.getpid(), flush=True); time.sleep(600)"
STEADY = f'{sys.executable} -c "{SAY_PID_AND_WAIT}"'


class Output:
    """A process's output, read in the background; wait_for() waits for a pattern."""

    def __init__(self, popen):
        self.popen, self.text, self.lock = popen, "", threading.Lock()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.popen.stdout:
            with self.lock:
                self.text += line.decode(errors="replace")

    def wait_for(self, pattern, start=0, timeout=60):
        """The first match of `pattern` after position `start`, awaited for up to `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                match = re.compile(pattern, re.M).search(self.text, start)
            if match:
                return match
            if time.monotonic() > deadline:
                pytest.fail(f"no {pattern!r} within {timeout} s; the output:\n{self.text}")
            time.sleep(0.1)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is as good as gone.
    status = Path(f"/proc/{pid}/stat")
    return not (status.is_file() and status.read_text().split(") ")[1].startswith("Z"))


# Run the command with Ctrl-C's signal handled as in a terminal: a command started in the
# background of a script (as CI may start these tests) inherits SIGINT ignored.
AS_IN_A_TERMINAL = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execvp(sys.argv[1], sys.argv[1:])"
)


def start(args, **kwargs):
    """Start in a session of its own, like a command typed in a terminal."""
    popen = subprocess.Popen(
        [sys.executable, "-c", AS_IN_A_TERMINAL, *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, **kwargs,
    )  # fmt: skip
    return popen, Output(popen)


def ctrl_c(popen, output, timeout=60):
    """What Ctrl-C in its terminal does: SIGINT to the whole process group."""
    os.killpg(popen.pid, signal.SIGINT)
    try:
        popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        left = subprocess.run(
            ["ps", "-o", "pid,ppid,stat,etime,cmd", "-g", str(popen.pid)],
            capture_output=True, text=True,
        ).stdout  # fmt: skip
        os.killpg(popen.pid, signal.SIGKILL)
        pytest.fail(f"still running {timeout} s after Ctrl-C:\n{left}\nthe output:\n{output.text}")


def started_pids(output):
    """Every pid the output names: each process started, and any that says its own."""
    return [int(pid) for pid in re.findall(r"\bpid (\d+)", output.text)]


@pytest.fixture
def supervise(tmp_path):
    """supervise(procfile_text): tools/serve.py running that Procfile; stopped after the test."""
    running = []

    def supervise(text):
        (tmp_path / "Procfile").write_text(text)
        popen, output = start([sys.executable, str(SERVE), "Procfile"], cwd=tmp_path)
        running.append((popen, output))
        return popen, output

    yield supervise
    for popen, output in running:
        if popen.poll() is None:
            ctrl_c(popen, output)
        leftovers = [pid for pid in started_pids(output) if alive(pid)]
        for pid in leftovers:
            os.kill(pid, signal.SIGKILL)
        assert leftovers == [], "processes outlived tools/serve.py"


def test_a_process_that_exits_is_started_again_and_the_others_keep_running(supervise):
    popen, output = supervise(f"one: exec {STEADY}\ntwo: exec {STEADY}\n")
    one = int(output.wait_for(r"^\S+ one +\| pid (\d+)").group(1))
    two = int(output.wait_for(r"^\S+ two +\| pid (\d+)").group(1))
    os.kill(one, signal.SIGKILL)
    output.wait_for(r"one +\| exited with code -9; starting it again in 1 s")
    again = output.wait_for(r"^\S+ one +\| pid (\d+)", start=output.text.index("exited"))
    assert int(again.group(1)) != one
    assert alive(two), "the other process was stopped"
    ctrl_c(popen, output)
    assert not alive(int(again.group(1))) and not alive(two)


def test_a_process_that_keeps_exiting_is_left_stopped_and_named(supervise):
    popen, output = supervise(f"steady: exec {STEADY}\nbroken: echo cannot start; exit 3\n")
    steady = int(output.wait_for(r"^\S+ steady +\| pid (\d+)").group(1))
    output.wait_for(r"broken +\| exited with code 3, 3 times within 60 s: left stopped\.")
    time.sleep(2.5)  # longer than the next restart would wait: none comes
    assert output.text.count("broken | cannot start") == 3
    assert alive(steady)
    assert popen.poll() is None


def test_ctrl_c_stops_every_process_and_what_it_started(supervise):
    # A shell that starts a child of its own, as nginx and uWSGI start their workers.
    popen, output = supervise(f"parent: {STEADY} & wait\n")
    child = int(output.wait_for(r"parent +\| pid (\d+)").group(1))
    ctrl_c(popen, output)
    assert not alive(child)
    assert "stopping every process" in output.text


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_for_page(url, output, timeout):
    deadline = time.monotonic() + timeout
    while not answers(url):
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer within {timeout} s; the output:\n{output.text}")
        time.sleep(0.5)


@pytest.fixture
def serve(tmp_path):
    """serve(step): `nox -s serve -- step`, environments in tmp_path, on a free port."""
    nox = shutil.which("nox")
    if nox is None:
        pytest.fail("nox was not found on PATH: pip install nox")
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server was not found: sudo apt-get install redis-server")
    running = []
    port = str(free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "REDIS"))}
    env["PORT"] = port

    def serve(step):
        args = [nox, "--envdir", str(tmp_path / "envs"), "-s", "serve", "--", step]
        popen, output = start(args, cwd=ROOT, env=env)
        running.append((popen, output))
        return popen, output, f"http://127.0.0.1:{port}/accounts/login/"

    yield serve
    for popen, output in running:
        if popen.poll() is None:
            ctrl_c(popen, output)
    leftovers = [pid for pid in serving_on(port) if alive(pid)]
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    assert leftovers == [], "processes outlived `nox -s serve`"


def serving_on(port):
    """The pids of every process with PORT=port in its environment: all that serve started."""
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            if f"\0PORT={port}\0".encode() in b"\0" + environ.read_bytes():
                pids.append(int(environ.parent.name))
    return pids


# What each process of step 05 says once it works.
READY = {"worker": "Reading jobs from chat-commands", "redis": "Ready to accept connections"}


def test_serving_step_05_survives_a_dead_worker_and_redis(serve):
    popen, output, url = serve("05")
    wait_for_page(url, output, timeout=300)  # a first start installs the requirements
    for name, ready in READY.items():
        output.wait_for(rf"^\S+ {name} +\| .*{ready}")
        # The pid announced is the shell's that runs the line (its program is a child).
        pid = int(output.wait_for(rf"^\S+ {name} +\| started \(pid (\d+)\)").group(1))
        mark = len(output.text)
        os.kill(pid, signal.SIGKILL)
        output.wait_for(rf"{name} +\| exited with code -9; starting it again", start=mark)
        output.wait_for(rf"{name} +\| started \(pid \d+\)", start=mark)
        output.wait_for(rf"^\S+ {name} +\| .*{ready}", start=mark)  # it works again
    assert answers(url)
    ctrl_c(popen, output)
    assert not answers(url)


def test_a_second_start_reuses_the_environment(serve):
    popen, output, url = serve("04")
    wait_for_page(url, output, timeout=300)
    ctrl_c(popen, output)
    popen, output, url = serve("04")
    output.wait_for(r"Reusing the environment: constraints.txt and steps/04-htmx's requirements")
    wait_for_page(url, output, timeout=120)
    assert "pip install" not in output.text
    ctrl_c(popen, output)
