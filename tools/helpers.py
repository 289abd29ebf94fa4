"""What the tools and the noxfile share: the Pythons the sessions run on, finding a step,
free ports, starting and stopping servers, Procfiles, Chromium and the offline install.

Only the standard library: tools/doctor.py imports it before anything is installed.
There is one way to import it, `import helpers` with tools/ on sys.path: a script in
tools/ has it there already; the noxfile, tools/tests and tools/loadtest put it there.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import stepdiff

ROOT = stepdiff.ROOT

# --- Pythons ---------------------------------------------------------------------------

SUPPORTED_PYTHONS = ["3.11", "3.12", "3.13", "3.14"]
# An attendee's choice of Python for every session: BACKCHAT_PYTHON=3.13 nox
CHOOSE_PYTHON = "BACKCHAT_PYTHON"


def find_python(version):
    """The real path of `pythonX.Y` when it is on PATH and runs, else None. (A pyenv shim
    of a version pyenv has not made active is on PATH, and does not run.)"""
    found = shutil.which(f"python{version}")
    if found is None:
        return None
    where = subprocess.run(
        [found, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True
    )
    if where.returncode != 0:
        return None
    return where.stdout.strip()


def running_python():
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def session_python():
    """(X.Y, executable) of the Python that every nox session runs on: the one
    BACKCHAT_PYTHON names; else the one running this, if supported; else the first
    supported one found. The executable is None when that Python is not there.

    Raises ValueError when BACKCHAT_PYTHON names a Python the workshop does not support.
    """
    chosen = os.environ.get(CHOOSE_PYTHON)
    if chosen:
        if chosen not in SUPPORTED_PYTHONS:
            raise ValueError(
                f"{CHOOSE_PYTHON}={chosen}: the workshop runs on Python "
                f"{', '.join(SUPPORTED_PYTHONS)}; name one of them (X.Y)"
            )
        return chosen, find_python(chosen)
    if running_python() in SUPPORTED_PYTHONS:
        return running_python(), sys.executable
    for version in SUPPORTED_PYTHONS:
        if executable := find_python(version):
            return version, executable
    return SUPPORTED_PYTHONS[0], None


# --- Steps -----------------------------------------------------------------------------


def step_number(step):
    return step.split("-")[0]


def find_step(arg, root=ROOT):
    """`1`, `01`, `01-django` or `step01` -> `01-django`; ValueError names the steps."""
    steps = stepdiff.list_steps(root)
    for step in steps:
        number = step_number(step)
        if arg in (step, number, number.lstrip("0"), f"step{number}"):
            return step
    raise ValueError(f"No step {arg!r}. The steps are: {', '.join(steps)}")


def procfile(path):
    """{name: command} of each line of a Procfile, in order."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    pairs = (line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {name.strip(): command.strip() for name, command in pairs}


# --- Processes -------------------------------------------------------------------------


def free_port():
    """A port that nothing on 127.0.0.1 listens on now (the system's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, timeout=60):
    """Wait until something listens on 127.0.0.1:port; RuntimeError if the process exits
    first or the deadline passes (generous: a busy laptop starts Django slowly)."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{process.args} did not listen on port {port} within {timeout} s"
                ) from None
            time.sleep(0.1)


def stop(process, timeout=10):
    """Terminate the process, and kill it if it has not gone within the timeout."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(args, port, timeout=60, **popen):
    """Start a server; yield it once it listens on port; stop it on every path, a failed
    start included."""
    process = subprocess.Popen(args, **popen)
    try:
        wait_for_port(port, process, timeout)
        yield process
    finally:
        stop(process)


# --- Chromium --------------------------------------------------------------------------

# A closed network: no updates, metrics, sync, translation or other calls home, so that
# every request a check sees comes from the page.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-sync",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--metrics-recording-only",
    "--no-default-browser-check",
    "--no-first-run",
    "--no-pings",
]
CHROMIUM_HINT = (
    "install Chromium: `sudo apt-get install chromium` (Debian, Ubuntu, WSL) or "
    "`python -m playwright install chromium`; or set CHROMIUM to a Chromium executable"
)


def chromium():
    """CHROMIUM, or a chromium on PATH (Debian's needs no download); None means
    Playwright's own browser."""
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


# --- The offline kit -------------------------------------------------------------------

# Install nox and uv from a kit of wheels, and make uv and pip use nothing else.
OFFLINE_INSTALL = """\
{python} -m venv {venv}
{venv}/bin/pip install --no-index --find-links {kit} nox uv
export PATH={venv}/bin:$PATH
export UV_OFFLINE=1 UV_NO_INDEX=1 UV_FIND_LINKS={kit}
export PIP_NO_INDEX=1 PIP_FIND_LINKS={kit}
"""
