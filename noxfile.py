"""Every task of the workshop: `nox -l` lists them, plain `nox` runs what CI runs.

Examples:
    nox -s doctor            is this machine ready for the workshop?
    nox -s step01            test one step in a fresh environment
    nox -s serve -- 04       migrate, seed and serve step 04 on http://127.0.0.1:8000
    nox -s compat            test every step on the other Pythons here, and on the newest Django
    nox -s busy              every step's tests while both cores are kept busy
    nox -s wheelhouse        every wheel the workshop needs, for a class with no network
                             (`-- --platform all --python all`: for every laptop)
    nox -s loadtest -- 06    how many clients, how fast: step 06 under load, with a baseline
    nox -s lock              re-pin constraints.txt (add `-- --upgrade` to update)
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nox
from nox.command import CommandFailed

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT / "tools"))  # the one way to import the tools' modules
import helpers  # noqa: E402
import stepdiff  # noqa: E402

nox.needs_version = ">=2025.10.14"  # for download_python
nox.options.default_venv_backend = "uv|virtualenv"  # uv when installed: much faster
nox.options.error_on_missing_interpreters = True
# Conference wifi: use the Pythons on this machine, never download one.
nox.options.download_python = "never"
os.environ["UV_PYTHON_DOWNLOADS"] = "never"

CONSTRAINTS = "constraints.txt"  # the one lock file for every step and tool
# Step 06's image is built from its folder alone: the same pins, for its packages only.
STEP_LOCK = ROOT / "steps/06-deploy/requirements.lock"

# Every session runs on one Python: BACKCHAT_PYTHON=X.Y if set, else the one running nox
# if the workshop supports it, else the first supported one found (`nox -s doctor` says
# which). Given as a path, nox uses exactly that one; a version nox says it cannot find.
try:
    PYTHON_VERSION, PYTHON_FOUND = helpers.session_python()
except ValueError as error:
    sys.exit(str(error))
PYTHON = PYTHON_FOUND or PYTHON_VERSION
# `nox -s compat`: the other supported Pythons, where they are found.
OTHER_PYTHONS = [v for v in helpers.SUPPORTED_PYTHONS if v != PYTHON_VERSION]

STEPS = stepdiff.list_steps(ROOT)  # 01-django, 02-auth, ...
STEP_SESSIONS = [f"step{helpers.step_number(step)}" for step in STEPS]  # step01, ...


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
    run_tests(session, step, browser)


def run_tests(session, step, browser=True):
    """Run a step's tests in the session's environment, as test_step says."""
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

    session_func.__doc__ = f"Run the tests of steps/{step} (Python {PYTHON_VERSION})."
    return nox.session(name=f"step{helpers.step_number(step)}", python=PYTHON)(session_func)


for _step in STEPS:
    make_step_session(_step)


def compat_runs():
    """(python, version, django) for `nox -s compat`: each other supported Python with the
    lock's Django, and the newest Django (6.x needs Python 3.12) on the first Python that
    can run it. A Python that is missing gets python=False: its run skips, saying why."""
    runs = [(helpers.find_python(v) or False, v, "locked") for v in OTHER_PYTHONS]
    newer = helpers.SUPPORTED_PYTHONS[helpers.SUPPORTED_PYTHONS.index("3.12") :]
    found = [(PYTHON_FOUND, PYTHON_VERSION)] + [(python, v) for python, v, _ in runs]
    python, version = next(((p, v) for p, v in found if p and v in newer), (False, newer[0]))
    return [*runs, (python, version, "latest")]


COMPAT_RUNS = compat_runs()


@nox.session
@nox.parametrize(
    ("python", "version", "django"),
    COMPAT_RUNS,
    ids=[version if django == "locked" else "django-latest" for _, version, django in COMPAT_RUNS],
)
def compat(session, version, django):
    """Every step's tests on each other supported Python, and on the newest Django.

    The browser's tests apart. A Python that is missing is skipped, saying so; the newest
    Django's run prints which steps pass on it, and never fails."""
    if not session.python:
        session.skip(
            f"Python {version} was not found, so the steps were NOT tested on it; install it "
            f"(pyenv users: make it active, e.g. `pyenv global {PYTHON_VERSION} {version}`)"
        )
    # The browser tests run JavaScript, nginx and servers rather than new Python: they run
    # once, on the sessions' Python (`nox`), which keeps CI well under 20 minutes on two cores.
    if django == "latest":
        test_latest_django(session, version)
        return
    # One environment for all steps: the pins are shared, so later steps only add packages.
    for step in STEPS:
        session.log(f"--- steps/{step} on Python {version} ---")
        test_step(session, step, browser=False)


def test_latest_django(session, version):
    """Every step's tests but the browser's on the newest Django release: a summary of
    which pass, and success whatever it says (the workshop pins Django 5.2 LTS)."""
    for step in STEPS:  # one environment, all steps' pins, then Django past the lock
        install_step(session, step)
    session.install("--upgrade", "django")
    django = session.run(
        "python", "-c", "import django; print(django.__version__)", silent=True
    ).strip()
    results = {}
    for step in STEPS:
        session.log(f"--- steps/{step} on Django {django}, Python {version} ---")
        try:
            run_tests(session, step, browser=False)
            results[step] = "pass"
        except CommandFailed:
            results[step] = "FAIL"
    session.log(f"Django {django} (not the workshop's pin), Python {version}, no browser tests:")
    for step, result in results.items():
        session.log(f"    {result:<4}  steps/{step}")
    if "FAIL" in results.values():
        session.log("Failures on the newest Django do not fail the build: see the output above.")


# A CPU burner: it spins until its parent (the session) is gone, even if nox is killed.
BURNER = """import os, sys
parent = int(sys.argv[1])
while os.getppid() == parent:
    sum(range(100_000))
"""


# Not in plain `nox`: .ci/run runs it once.
@nox.session(python=PYTHON)
def busy(session):
    """Every step's tests, browser tests too, while a process per core keeps the CPU busy,
    as on a laptop in a video call: tests that wait for events pass, lucky ones do not."""
    cores = os.cpu_count() or 2
    burners = []
    try:
        for _ in range(cores):
            args = [sys.executable, "-c", BURNER, str(os.getpid())]
            burners.append(subprocess.Popen(args, stdin=subprocess.DEVNULL))
        session.log(f"{cores} processes keep the {cores} cores busy")
        times = {}
        for step in STEPS:
            started = time.monotonic()
            test_step(session, step)
            times[step] = time.monotonic() - started
        for step, seconds in times.items():
            session.log(f"    steps/{step}: {seconds:.0f} s with every core busy")
    finally:
        for burner in burners:
            helpers.stop(burner)


def find_step(session, arg):
    """`1`, `01`, `01-django` or `step01` -> `01-django`; the session stops on another."""
    try:
        return helpers.find_step(arg, ROOT)
    except ValueError as error:
        session.error(str(error))


REDIS_MISSING = """steps/{step} needs Redis, and redis-server was not found. Install it:
    Debian, Ubuntu, WSL:  sudo apt-get install redis-server
    macOS:                brew install redis
or set REDIS_URL to a Redis that runs elsewhere (redis://host:6379/0)."""


def install_step_once(session, step):
    """Install the step's requirements unless this environment already has them, from the
    same lock and requirements files: then a restart of the server takes seconds."""
    files = [ROOT / CONSTRAINTS, *sorted((ROOT / "steps" / step).glob("requirements*.txt"))]
    wanted = step + " " + hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = Path(session.virtualenv.location) / "installed-step"
    if stamp.is_file() and stamp.read_text() == wanted:
        session.log(f"Reusing the environment: {CONSTRAINTS} and steps/{step}'s requirements")
        return
    install_step(session, step)
    stamp.write_text(wanted)


# Serving needs no particular Python: use the one running nox (3.11 or newer). The
# environment is kept from one start to the next (install_step_once).
@nox.session(python=None, reuse_venv=True)
def serve(session):
    """Migrate, seed and serve a step: `nox -s serve -- 01` (PORT overrides 8000)."""
    if len(session.posargs) != 1:
        session.error(f"Which step? For example: nox -s serve -- 01   (steps: {', '.join(STEPS)})")
    step = find_step(session, session.posargs[0])
    port = os.environ.get("PORT", "8000")
    install_step_once(session, step)
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
    """Run every line of the step's Procfile with tools/serve.py, which starts again a
    process that exits (honcho would stop them all): a private Redis unless REDIS_URL."""
    names = list(helpers.procfile("Procfile"))
    env = {"PORT": port} | env
    if os.environ.get("REDIS_URL"):
        names.remove("redis")
        env.pop("REDIS_URL", None)
    elif shutil.which("redis-server") is None:
        session.error(REDIS_MISSING.format(step=step))
    elif "REDIS_URL" not in env:
        redis_port = helpers.free_port()
        env |= {"REDIS_PORT": str(redis_port), "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    session.log(f"Serving steps/{step} on http://127.0.0.1:{port}/ with {', '.join(names)}")
    session.log("Each line starts with its process's name. One that exits starts again.")
    session.log("Ctrl-C stops them all.")
    # Ctrl-C reaches nox too: give tools/serve.py time to stop every process before nox
    # would kill it (after 0.3 s by default), leaving them running.
    session.run("python", str(ROOT / "tools/serve.py"), "Procfile", *names, env=env,
                interrupt_timeout=30, terminate_timeout=30)  # fmt: skip


@nox.session(python=PYTHON)
def verify(session):
    """Run a step's tests against your own project: `nox -s verify -- 03 [~/backchat]`
    (tools/verify.py says more)."""
    step = find_step(session.posargs[0]) if session.posargs else None
    if step is None:
        session.error(f"Which step? For example: nox -s verify -- 03 ~/backchat   "
                      f"(steps: {', '.join(STEPS)})")  # fmt: skip
    install_step(session, step)
    script = str(ROOT / "tools/verify.py")
    session.chdir(session.invoked_from)  # a relative path means where you typed it
    session.run("python", script, step, *session.posargs[1:])


@nox.session(python=False)  # it runs nox itself, for the step sessions' own environments
def prepare(session):
    """Get a laptop ready for the class in a minute or two (plain `nox` takes about 8):
    check the machine, install every step's environment, prove step 01 runs."""
    machine_ok = subprocess.run([sys.executable, "tools/doctor.py"]).returncode == 0
    nox_itself = [sys.executable, "-m", "nox"]
    # Every package of every step, into the download cache: the venue's wifi is not needed.
    session.run(*nox_itself, "--install-only", "-s", *STEP_SESSIONS, external=True)
    session.run(*nox_itself, "--reuse-venv=yes", "-s", "step01", external=True)
    if not machine_ok:
        session.error("Every step is installed, but the machine misses what is marked above.")
    session.log("Ready for the class: every step is installed, and step 01's tests pass.")


@nox.session(python=False)  # only the standard library: it runs before anything is installed
def doctor(session):
    """Check this machine for the workshop: the sessions' Python, Redis, nginx, a browser, a
    free port."""
    session.run(sys.executable, "tools/doctor.py", external=True)


LOADTEST = ROOT / "tools/loadtest/run.py"
# Its clients, CPU and memory, a profiler, and the other ASGI servers (tools/requirements.in).
LOADTEST_TOOLS = ["websockets", "psutil", "py-spy", "uvicorn[standard]", "granian"]


@nox.session(python=PYTHON)
def loadtest(session):
    """Load-test a served step: `nox -s loadtest -- 06 --clients 200` (tools/loadtest/run.py)."""
    if not session.posargs:
        session.error("Which step? For example: nox -s loadtest -- 04 --clients 200")
    step = find_step(session, session.posargs[0])
    install_step(session, step)
    session.install(*LOADTEST_TOOLS, "-c", CONSTRAINTS)
    session.chdir(f"steps/{step}")
    session.run("python", str(LOADTEST), step, *session.posargs[1:])


@nox.session(python=PYTHON)
def figures(session):
    """Measure every figure of the page "How far does it go?" (about an hour on 2 cores;
    nothing else running, please), then redraw its tables and chart."""
    results = ROOT / "docs/assets/loadtest/results.jsonl"
    results.unlink(missing_ok=True)
    pubsub = ["--layer", "pubsub"]  # step 06's two-layer setup
    granian = [*pubsub, "--server", "granian"]
    configurations = [("04", []), ("05", []), ("06", []), ("06", pubsub),
                      ("06", [*pubsub, "--server", "uvicorn"]), ("06", granian),
                      ("06", [*granian, "--gc-threshold", "50000"])]  # fmt: skip
    for number, _ in configurations:  # one environment: the steps share one lock file
        install_step(session, find_step(session, number))
    session.install(*LOADTEST_TOOLS, "-c", CONSTRAINTS)
    for number, options in configurations:
        step = find_step(session, number)
        with session.chdir(f"steps/{step}"):
            record = [*options, "--record", str(results)]
            # One Daphne (steps 04 and 05) is far behind at 500 already: at 1,000, the
            # tool would wait minutes for it to open the sockets, and measure its collapse.
            sizes = ("50", "200", "500", "1000") if number == "06" else ("50", "200", "500")
            for clients in sizes:
                # Exit status 3: messages were lost; recorded all the same.
                session.run("python", str(LOADTEST), step, "--clients", clients, "--rate", "10",
                            "--duration", "15", *record, success_codes=[0, 3])  # fmt: skip
            session.run("python", str(LOADTEST), step, "--clients", "200", "--ceiling",
                        "--rate", "10", "--duration", "5", *record)  # fmt: skip
    session.run("python", "tools/loadtest/report.py")


@nox.session(python=PYTHON)
def thousand(session):
    """The page's "A thousand in one room": step 06 at 1,000 clients, three runs of each
    server and collector setting (about half an hour on 2 cores; nothing else running,
    please), then redraw the page's tables."""
    results = ROOT / "docs/assets/loadtest/thousand.jsonl"
    results.unlink(missing_ok=True)
    install_step(session, "06-deploy")
    session.install(*LOADTEST_TOOLS, "-c", CONSTRAINTS)
    tuned = ["--gc-threshold", "50000"]
    options = [[], tuned, ["--server", "granian"], ["--server", "granian", *tuned]]
    with session.chdir("steps/06-deploy"):
        for _ in range(3):  # each option in turn: a slow spell of the machine hits them all
            for extra in options:
                session.run("python", str(LOADTEST), "06-deploy", "--clients", "1000",
                            "--rate", "10", "--duration", "15", "--layer", "pubsub",
                            "--gc-stats", *extra, "--record", str(results),
                            success_codes=[0, 3])  # fmt: skip
    session.run("python", "tools/loadtest/report.py")


@nox.session(python=PYTHON)
def wheelhouse(session):
    """Every wheel the workshop needs, into wheelhouse/ for a USB stick: for this machine, or
    `-- --platform all --python all` (tools/wheelhouse.py says more)."""
    session.install("pip")  # to download the wheels
    session.run("python", "tools/wheelhouse.py", *session.posargs)


# The kit's install as its README.md gives it, with nox's caches in the session's tmp.
OFFLINE = f"""set -e
{helpers.OFFLINE_INSTALL.format(python='"$PYTHON"', venv='"$TMP/venv"', kit='"$KIT"')}
export UV_CACHE_DIR="$TMP/uv-cache"
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
    env = {"TMP": str(tmp), "KIT": str(kit), "PYTHON": PYTHON}
    session.run("unshare", "--net", "bash", "-c", OFFLINE, env=env, external=True)


# Not in plain `nox` (it needs Docker, or root on Linux to start one); .ci/run runs it.
@nox.session(python=PYTHON)
def containers(session):
    """Build step 06's image and run its compose.yaml for real, then chat through nginx
    (tools/containers/run.py; `-- --record` re-measures the numbers on step 06's page)."""
    can_start_docker = sys.platform.startswith("linux") and os.geteuid() == 0
    if shutil.which("docker") is None and not can_start_docker:
        session.skip("Docker is not installed, and installing it needs root: the containers "
                     "were NOT run (https://docs.docker.com/engine/install/)")  # fmt: skip
    session.install("websockets", "-c", CONSTRAINTS)  # the chat, through nginx
    record = (
        ["--record", "docs/assets/containers/measured.md"] if "--record" in session.posargs else []
    )
    session.run("python", "tools/containers/run.py", *record)


# Not in plain `nox`: `nox -s check` already fails when a picture no longer matches its step.
@nox.session(python=PYTHON)
def screenshots(session):
    """Retake the docs' screenshot of every step, or of some: `nox -s screenshots -- 02`."""
    steps = [find_step(session, arg) for arg in session.posargs] or STEPS
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
    # At 1280 and 390 px: notes visible, diagrams legible, no serious accessibility
    # finding (axe-core), copy buttons exact, pages light, nothing fetched from the
    # internet; screenshots of every page go to site-screenshots/ for a human look.
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


PYTHONS_TEST = "tools/tests/test_pythons.py"  # nox -s pythons runs it, not nox -s check


@nox.session(python=PYTHON)
def check(session):
    """Check the repo's consistency: step diffs vs docs pages, docs code blocks, ..."""
    # pip: the wheelhouse's tests download; websockets and psutil: the load test's tests;
    # check-jsonschema: the GitHub Actions workflow's.
    session.install(
        "pytest", "pip", "websockets", "psutil", "check-jsonschema", "-c", CONSTRAINTS
    )  # fmt: skip
    session.run("pytest", "-q", "-p", "no:cacheprovider", f"--ignore={PYTHONS_TEST}", "tools/tests")
    session.run("python", "tools/check.py")


# Not in plain `nox`, which must pass where only one Python is there; .ci/run runs it.
@nox.session(python=PYTHON)
def pythons(session):
    """Prove any Python from 3.11: step 01's tests through nox on a PATH whose only Python
    is 3.12, then 3.13 (both must be here), and BACKCHAT_PYTHON's choice."""
    session.install("pytest", "-c", CONSTRAINTS)
    session.run("pytest", "-p", "no:cacheprovider", PYTHONS_TEST, *session.posargs)


@nox.session(python=False)  # needs uv on PATH
def lock(session):
    """Re-pin constraints.txt from every step's requirements and the tools', for every
    supported Python, and step 06's requirements.lock from constraints.txt."""
    inputs = [
        "tools/requirements.in",
        *sorted(str(p) for p in ROOT.glob("steps/*/requirements*.txt")),
    ]
    oldest = helpers.SUPPORTED_PYTHONS[0]  # --universal: this one and every later one
    session.run(
        "uv", "pip", "compile", "--universal", "--python-version", oldest,
        "--custom-compile-command", "nox -s lock",
        *inputs, "-o", CONSTRAINTS, *session.posargs,
        silent=True,
    )  # fmt: skip
    for version in helpers.SUPPORTED_PYTHONS:  # the pins must resolve on each, as they are
        session.run("uv", "pip", "compile", "--quiet", "--python-version", version,
                    "-c", CONSTRAINTS, *inputs, "-o", os.devnull)  # fmt: skip
    session.log(
        f"Wrote {CONSTRAINTS}, which resolves on Python {', '.join(helpers.SUPPORTED_PYTHONS)}"
    )
    # Step 06 builds its image from its own folder: its own lock, the same pins, only its
    # own packages (no annotations: they would name the workshop's file). Its header
    # gives the command that re-pins it in a learner's own project.
    own_command = f"uv pip compile --universal requirements.txt -o {STEP_LOCK.name}"
    with session.chdir(STEP_LOCK.parent):
        session.run(
            "uv", "pip", "compile", "--universal", "--python-version", oldest, "--no-annotate",
            "--custom-compile-command", own_command,
            "requirements.txt", "-c", str(ROOT / CONSTRAINTS), "-o", STEP_LOCK.name,
            silent=True,
        )  # fmt: skip
    step_lock = STEP_LOCK.relative_to(ROOT).as_posix()
    session.log(f"Wrote {step_lock}. Review the changes with "
                f"`git diff {CONSTRAINTS} {step_lock}`.")  # fmt: skip


# Plain `nox` runs what CI needs.
nox.options.sessions = ["lint", "check", *STEP_SESSIONS, "multihost", "docs"]
