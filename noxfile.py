"""Every task of the workshop: `nox -l` lists them, plain `nox` runs what CI runs.

Examples:
    nox -s doctor            is this machine ready for the workshop?
    nox -s step01            test one step in a fresh environment
    nox -s serve -- 04       migrate, seed and serve step 04 on http://127.0.0.1:8000
    nox -s compat            test every step on Python 3.12 and 3.13
    nox -s wheelhouse        every wheel the workshop needs, for a class with no network
                             (`-- --platform all --python all`: for every laptop)
    nox -s loadtest -- 06    how many clients, how fast: step 06 under load, with a baseline
    nox -s lock              re-pin constraints.txt (add `-- --upgrade` to update)
"""

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2025.10.14"  # for download_python
nox.options.default_venv_backend = "uv|virtualenv"  # uv when installed: much faster
nox.options.error_on_missing_interpreters = True
# Conference wifi: use the Pythons on this machine, never download one.
nox.options.download_python = "never"
os.environ["UV_PYTHON_DOWNLOADS"] = "never"

ROOT = Path(__file__).parent
CONSTRAINTS = "constraints.txt"  # the one lock file for every step and tool
PYTHON = "3.11"  # the minimum the workshop supports
COMPAT_PYTHONS = ["3.12", "3.13"]

# The steps are the directories in steps/: 01-django, 02-auth, ...
STEPS = sorted(p.name for p in (ROOT / "steps").iterdir() if (p / "requirements.txt").is_file())


def step_number(step):
    return step.split("-")[0]


def install_step(session, step):
    # Step 06 keeps its tests' tools out of what it deploys, in requirements-test.txt.
    requirements = ROOT / "steps" / step / "requirements-test.txt"
    if not requirements.is_file():
        requirements = requirements.with_name("requirements.txt")
    session.install("-r", str(requirements), "-c", CONSTRAINTS)


def test_step(session, step, browser=True):
    """Install the step's pinned requirements and run its tests (tests/browser too, unless
    browser=False).

    Arguments after `--` go to every pytest run: `nox -s step04 -- -x -k idle`.
    """
    install_step(session, step)
    with session.chdir(f"steps/{step}"):
        # With a filter such as `-- -k name`, one of the two runs may select nothing.
        ok = [0, 5] if session.posargs else [0]
        if not Path("tests/browser").is_dir():
            session.run("pytest", *session.posargs, success_codes=ok)
            return
        # Browser tests get their own process: live servers after async
        # consumer tests in the same process can hang.
        session.run("pytest", "--ignore=tests/browser", *session.posargs, success_codes=ok)
        if browser:
            session.run("pytest", "tests/browser", *session.posargs, success_codes=ok)


def make_step_session(step):
    def session_func(session):
        test_step(session, step)

    session_func.__doc__ = f"Run the tests of steps/{step} (Python {PYTHON})."
    return nox.session(name=f"step{step_number(step)}", python=PYTHON)(session_func)


for _step in STEPS:
    make_step_session(_step)


def python_exists(version):
    """True if `pythonX.Y` runs here. (An inactive pyenv shim is found but does not run.)"""
    exe = shutil.which(f"python{version}")
    return exe is not None and subprocess.run([exe, "-c", ""], capture_output=True).returncode == 0


# Where an interpreter is missing the session gets python=False and skips with a reason.
@nox.session
@nox.parametrize(
    ("python", "version"),
    [(v if python_exists(v) else False, v) for v in COMPAT_PYTHONS],
    ids=COMPAT_PYTHONS,
)
def compat(session, version):
    """Run every step's tests but the browser's on Python 3.12 and 3.13 (skipped loudly
    where missing)."""
    if not session.python:
        session.skip(
            f"Python {version} was not found, so the steps were NOT tested on it; install it "
            f"(pyenv users: make it active, e.g. `pyenv global 3.11 {version}`)"
        )
    # One environment for all steps: the pins are shared, so later steps only add packages.
    # The browser tests run JavaScript, nginx and servers rather than new Python: they run
    # once, on 3.11 (`nox`), which keeps CI well under 20 minutes on two cores.
    for step in STEPS:
        session.log(f"--- steps/{step} on Python {version} ---")
        test_step(session, step, browser=False)


def find_step(arg):
    """Accept `1`, `01`, `01-django` or `step01`; return `01-django` or None."""
    for step in STEPS:
        number = step_number(step)
        if arg in (step, number, number.lstrip("0"), f"step{number}"):
            return step
    return None


REDIS_MISSING = """steps/{step} needs Redis, and redis-server was not found. Install it:
    Debian, Ubuntu, WSL:  sudo apt-get install redis-server
    macOS:                brew install redis
or set REDIS_URL to a Redis that runs elsewhere (redis://host:6379/0)."""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Serving needs no particular Python: use the one running nox (3.11 or newer).
@nox.session(python=None)
def serve(session):
    """Migrate, seed and serve a step: `nox -s serve -- 01` (PORT overrides 8000)."""
    if len(session.posargs) != 1:
        session.error(f"Which step? For example: nox -s serve -- 01   (steps: {', '.join(STEPS)})")
    step = find_step(session.posargs[0])
    if step is None:
        session.error(f"No step {session.posargs[0]!r}. The steps are: {', '.join(STEPS)}")
    port = os.environ.get("PORT", "8000")
    install_step(session, step)
    run_dir = str(Path(session.create_tmp()).resolve())  # before chdir: the path stays right
    session.chdir(f"steps/{step}")
    env = {}
    if Path("deploy/local.py").is_file():  # step 06: the whole stack on free local ports
        env = json.loads(session.run("python", "deploy/local.py", port, run_dir, silent=True))
        session.run("python", "manage.py", "collectstatic", "--no-input", "-v0", env=env)
    session.run("python", "manage.py", "migrate", env=env)
    session.run("python", "manage.py", "seed_demo", f"--site=http://127.0.0.1:{port}", env=env)
    if Path("Procfile").is_file():
        serve_processes(session, step, port, env)
        return
    session.log(f"Serving steps/{step} on http://127.0.0.1:{port}/ (Ctrl-C stops it)")
    session.run("python", "manage.py", "runserver", f"127.0.0.1:{port}")


def serve_processes(session, step, port, env):
    """Run every line of the step's Procfile with honcho: a private Redis unless REDIS_URL."""
    lines = Path("Procfile").read_text(encoding="utf-8").splitlines()
    names = [line.split(":")[0] for line in lines if line and not line.startswith("#")]
    env = {"PORT": port} | env
    if os.environ.get("REDIS_URL"):
        names.remove("redis")
        env.pop("REDIS_URL", None)
    elif shutil.which("redis-server") is None:
        session.error(REDIS_MISSING.format(step=step))
    elif "REDIS_URL" not in env:
        redis_port = free_port()
        env |= {"REDIS_PORT": str(redis_port), "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    session.log(f"Serving steps/{step} on http://127.0.0.1:{port}/ with {', '.join(names)}")
    session.log("Each line of output starts with its process's name; Ctrl-C stops them all.")
    session.run("honcho", "start", *names, env=env)


@nox.session(python=False)  # only the standard library: it runs before anything is installed
def doctor(session):
    """Check this machine for the workshop: Python 3.11, Redis, nginx, a browser, a free port."""
    session.run(sys.executable, "tools/doctor.py", external=True)


LOADTEST = ROOT / "tools/loadtest/run.py"
LOADTEST_TOOLS = ["websockets", "psutil", "py-spy"]  # its clients, CPU and memory, profiler


@nox.session(python=PYTHON)
def loadtest(session):
    """Load-test a served step: `nox -s loadtest -- 06 --clients 200` (tools/loadtest/run.py)."""
    step = find_step(session.posargs[0]) if session.posargs else None
    if step is None:
        session.error("Which step? For example: nox -s loadtest -- 04 --clients 200")
    install_step(session, step)
    session.install(*LOADTEST_TOOLS, "-c", CONSTRAINTS)
    session.chdir(f"steps/{step}")
    session.run("python", str(LOADTEST), step, *session.posargs[1:])


@nox.session(python=PYTHON)
def figures(session):
    """Measure every figure of the page "How far does it go?" (about 20 minutes on 2 cores;
    nothing else running, please), then redraw its tables and chart."""
    results = ROOT / "docs/assets/loadtest/results.jsonl"
    results.unlink(missing_ok=True)
    configurations = [("04", []), ("05", []), ("06", []), ("06", ["--layer", "pubsub"])]
    for number, _ in configurations:  # one environment: the steps share one lock file
        install_step(session, find_step(number))
    session.install(*LOADTEST_TOOLS, "-c", CONSTRAINTS)
    for number, layer in configurations:
        step = find_step(number)
        with session.chdir(f"steps/{step}"):
            record = [*layer, "--record", str(results)]
            for clients in ("50", "200", "500"):
                # Exit status 3: messages were lost; recorded all the same.
                session.run("python", str(LOADTEST), step, "--clients", clients, "--rate", "10",
                            "--duration", "15", *record, success_codes=[0, 3])  # fmt: skip
            session.run("python", str(LOADTEST), step, "--clients", "200", "--ceiling",
                        "--rate", "10", "--duration", "5", *record)  # fmt: skip
    session.run("python", "tools/loadtest/report.py")


@nox.session(python=PYTHON)
def wheelhouse(session):
    """Every wheel the workshop needs, into wheelhouse/ for a USB stick: for this machine, or
    `-- --platform all --python all` (tools/wheelhouse.py says more)."""
    session.install("pip")  # to download the wheels
    session.run("python", "tools/wheelhouse.py", *session.posargs)


OFFLINE = """set -e
python3.11 -m venv "$TMP/venv"
"$TMP/venv/bin/pip" install --quiet --no-index --find-links "$KIT" nox uv
export PATH="$TMP/venv/bin:$PATH" UV_CACHE_DIR="$TMP/uv-cache"
export UV_OFFLINE=1 UV_NO_INDEX=1 UV_FIND_LINKS="$KIT" PIP_NO_INDEX=1 PIP_FIND_LINKS="$KIT"
nox --envdir "$TMP/envs" --install-only
nox --envdir "$TMP/envs" -s step01
"""


# In plain `nox`: as root on Linux it runs (CI), elsewhere its tests skip, saying why.
@nox.session(python=PYTHON)
def multihost(session):
    """Run step 06 across hosts, each a network namespace (Linux, as root; skipped elsewhere).

    Redis, PostgreSQL, two app hosts and nginx, each on a host of its own; two users chat
    from different app hosts, then one app host dies (docs/multihost.md).
    """
    install_step(session, "06-deploy")
    # The tests live outside the step (tools/multihost) and find it by its path.
    session.run("pytest", "tools/multihost", "-rs", *session.posargs)


# Not in plain `nox` (it needs Linux and root); .ci/run runs it.
@nox.session(python=PYTHON)
def offline(session):
    """Prove the offline kit: this machine's wheelhouse, then nox with no network at all."""
    if not (sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("unshare")):
        session.error("It cuts the network with `unshare --net`: run it as root on Linux.")
    session.install("pip")
    tmp = Path(session.create_tmp()).resolve()
    shutil.rmtree(tmp)
    kit = tmp / "wheelhouse"
    session.run("python", "tools/wheelhouse.py", str(kit))
    # A network namespace of its own: no interface but a loopback that is down.
    env = {"TMP": str(tmp), "KIT": str(kit)}
    session.run("unshare", "--net", "bash", "-c", OFFLINE, env=env, external=True)


# Not in plain `nox`: `nox -s check` already fails when a picture no longer matches its step.
@nox.session(python=PYTHON)
def screenshots(session):
    """Retake the docs' screenshot of every step, or of some: `nox -s screenshots -- 02`."""
    for arg in session.posargs:
        if find_step(arg) is None:
            session.error(f"No step {arg!r}. The steps are: {', '.join(STEPS)}")
    steps = [find_step(arg) for arg in session.posargs] or STEPS
    session.install("playwright", "-c", CONSTRAINTS)
    # One environment, steps in order: the pins are shared, so later steps only add packages.
    for step in steps:
        install_step(session, step)
        session.run("python", "tools/screenshots.py", step)


DOCS_DEPS = ["mkdocs-material", "pymdown-extensions"]
# Material's end-of-life banner: known and decided, it is pinned to 9.x on purpose.
DOCS_ENV = {"NO_MKDOCS_2_WARNING": "1"}


@nox.session(python=PYTHON)
def docs(session):
    """Build the docs site strictly, then check every page in Chromium (tools/sitecheck.py)."""
    session.install(*DOCS_DEPS, "playwright", "-c", CONSTRAINTS)
    session.run("mkdocs", "build", "--strict", *session.posargs, env=DOCS_ENV)
    # Notes visible at 1280 px, diagrams legible, nothing fetched from the internet;
    # a screenshot of every page goes to site-screenshots/ for a human look.
    session.run("python", "tools/sitecheck.py", "site", "--screenshots", "site-screenshots")


@nox.session(name="docs-serve", python=PYTHON)
def docs_serve(session):
    """Serve the docs with live reload on http://127.0.0.1:8000."""
    session.install(*DOCS_DEPS, "-c", CONSTRAINTS)
    session.run("mkdocs", "serve", *session.posargs, env=DOCS_ENV)


LINTED = ["steps", "tools", "docs/hooks", "noxfile.py"]


@nox.session(python=PYTHON)
def lint(session):
    """Check code style with ruff (run `ruff check --fix` and `ruff format` to fix)."""
    session.install("ruff", "-c", CONSTRAINTS)
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)


@nox.session(python=PYTHON)
def check(session):
    """Check the repo's consistency: step diffs vs docs pages, docs code blocks, ..."""
    # pip: the wheelhouse's tests download; websockets and psutil: the load test's tests.
    session.install("pytest", "pip", "websockets", "psutil", "-c", CONSTRAINTS)
    session.run("pytest", "-q", "-p", "no:cacheprovider", "tools/tests")
    session.run("python", "tools/check.py")


@nox.session(python=False)  # needs uv on PATH
def lock(session):
    """Re-pin constraints.txt from every step's requirements and the tools'."""
    inputs = [
        "tools/requirements.in",
        *sorted(str(p) for p in ROOT.glob("steps/*/requirements*.txt")),
    ]
    session.run(
        "uv", "pip", "compile", "--universal", "--python-version", PYTHON,
        "--custom-compile-command", "nox -s lock",
        *inputs, "-o", CONSTRAINTS, *session.posargs,
        silent=True,
    )  # fmt: skip
    session.log(f"Wrote {CONSTRAINTS}: review the changes with `git diff {CONSTRAINTS}`.")


# Plain `nox` runs what CI needs.
step_sessions = [f"step{step_number(step)}" for step in STEPS]
nox.options.sessions = ["lint", "check", *step_sessions, "multihost", "docs"]
