"""Is this machine ready for the workshop? A check per need, and a one-line fix for each miss.

    nox -s doctor        (or: python3 tools/doctor.py)

Only the standard library: it runs before anything is installed. It exits with 1 when
something a step needs is missing; "optional" lines never fail it.
"""

import os
import platform
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import helpers

ROOT = helpers.ROOT
MIN_FREE_DISK = 2 * 1024**3  # the step environments, a browser, the docs: about 1.5 GiB

# One fix per need and system. WSL is Debian or Ubuntu inside Windows.
FIXES = {
    "python": {
        "debian": "sudo apt-get install python3 (3.11 or newer; or: uv python install 3.13)",
        "macos": "brew install python@3.13",
        "other": "install Python 3.11 to 3.14 from python.org, or: uv python install 3.13",
    },
    "compat": {"any": "install more of them (pyenv: make them active, `pyenv global 3.11 3.12`)"},
    "uv": {"any": "python3 -m pip install uv   (nox works without it, only slower)"},
    "redis": {
        "debian": "sudo apt-get install redis-server",
        "macos": "brew install redis",
        "other": "install Redis 7 with your package manager",
    },
    "nginx": {
        "debian": "sudo apt-get install nginx",
        "macos": "brew install nginx",
        "other": "install nginx with your package manager",
    },
    "postgresql": {
        "debian": "sudo apt-get install postgresql",
        "macos": "brew install postgresql@15",
        "other": "install PostgreSQL with your package manager",
    },
    "browser": {
        "debian": "sudo apt-get install chromium (Ubuntu: python -m playwright install chromium)",
        "macos": "python3 -m pip install playwright && python3 -m playwright install chromium",
        "other": "python -m playwright install chromium, or set CHROMIUM to a Chromium's path",
    },
    "port": {"any": "stop what uses it, or serve elsewhere: PORT=8001 nox -s serve -- 01"},
    "disk": {"any": "free some space on this disk, or clone the workshop to another one"},
}


def system():
    """debian (Debian, Ubuntu, WSL), macos or other: which fixes to print."""
    if sys.platform == "darwin":
        return "macos"
    if Path("/etc/debian_version").is_file():
        return "debian"
    return "other"


def fix(need):
    fixes = FIXES[need]
    return fixes.get("any") or fixes[system()]


def find(program, *places):
    """A program on PATH, or in one of the places distributions keep it off PATH."""
    path = os.pathsep.join([os.environ.get("PATH", ""), *places])
    return shutil.which(program, path=path)


def runs(program):
    """The program's path when it is there and starts (a pyenv shim may be there, and not run)."""
    found = shutil.which(program)
    if found and subprocess.run([found, "--version"], capture_output=True).returncode == 0:
        return found
    return None


def port_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def playwright_chromium():
    """Playwright's own Chromium, where `playwright install chromium` puts it."""
    caches = [Path.home() / ".cache/ms-playwright", Path.home() / "Library/Caches/ms-playwright"]
    if os.environ.get("PLAYWRIGHT_BROWSERS_PATH"):
        caches.insert(0, Path(os.environ["PLAYWRIGHT_BROWSERS_PATH"]))
    return next((str(d) for cache in caches for d in sorted(cache.glob("chromium-*"))), None)


def session_python():
    """(X.Y, what it is, where) of the Python the nox sessions will run on, chosen as the
    noxfile chooses it. Run by `nox -s doctor`, "this Python" is the one running nox."""
    try:
        version, executable = helpers.session_python()
    except ValueError as error:
        return None, str(error), None
    if os.environ.get(helpers.CHOOSE_PYTHON):
        why = f"{helpers.CHOOSE_PYTHON} chooses it"
    elif executable == sys.executable:
        why = "the one running this"
    else:
        why = f"this one is {helpers.running_python()}"
    return version, f"Python {version}, which every nox session runs on ({why})", executable


def checks():
    """(need, what it is for, what was found, ok): one a need."""
    port = int(os.environ.get("PORT", "8000"))
    postgres_bins = sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin"))
    browser = helpers.chromium() or playwright_chromium()
    free = shutil.disk_usage(ROOT).free
    version, python, python_found = session_python()
    others = [v for v in helpers.SUPPORTED_PYTHONS if v != version]
    others_found = [v for v in others if helpers.find_python(v)]
    found = [
        ("python", python, python_found),
        (None, f"this Python, {platform.python_version()}", sys.executable),
        ("compat", f"other supported Pythons, for nox -s compat ({', '.join(others)})",
         ", ".join(others_found) or None),
        ("uv", "uv, which makes each session's environment in seconds", runs("uv")),
        ("redis", "Redis, for steps 05 and 06", find("redis-server")),
        ("nginx", "nginx, for step 06", find("nginx", "/usr/sbin", "/usr/local/sbin")),
        ("postgresql", "PostgreSQL (optional: step 06's tests; serving uses SQLite)",
         find("initdb", *postgres_bins)),
        ("browser", "Chromium, for the browser tests of steps 04-06", browser),
    ]  # fmt: skip
    return [(need, what, where, where is not None) for need, what, where in found] + [
        ("port", f"port {port} free, for nox -s serve", None, port_free(port)),
        ("disk", "2 GiB free on this disk", f"{free / 1024**3:.1f} GiB", free >= MIN_FREE_DISK),
    ]


def main():
    failed = False
    for need, what, found, ok in checks():
        detail = f": {found}" if found else ""
        if ok:
            print(f"ok       {what}{detail}")
            continue
        optional = need in ("postgresql", "uv", "compat")
        failed = failed or not optional
        print(f"{'optional' if optional else 'MISSING '} {what}{detail}")
        print(f"         fix: {fix(need)}")
    print("\nFix the lines above, then run me again." if failed else "\nReady for the workshop.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
