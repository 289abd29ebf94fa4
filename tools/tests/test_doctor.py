"""tools/doctor.py, run as attendees run it, with what this machine has and with less."""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import helpers
import pytest

DOCTOR = Path(__file__).resolve().parents[1] / "doctor.py"
DEBIAN = Path("/etc/debian_version").is_file()


def doctor(**env):
    """Run it with no chosen Python, on a free port unless given those."""
    outer = {k: v for k, v in os.environ.items() if k != helpers.CHOOSE_PYTHON}
    env = outer | {"PORT": str(helpers.free_port())} | env
    result = subprocess.run([sys.executable, DOCTOR], env=env, capture_output=True, text=True)
    return result.returncode, result.stdout


def real_path(program):
    """Where a program really is: a pyenv shim only runs with pyenv on PATH."""
    if program.startswith("python"):
        code = "import sys; print(sys.executable)"
        return subprocess.run([program, "-c", code], capture_output=True, text=True).stdout.strip()
    return shutil.which(program)


@pytest.fixture
def bare(tmp_path):
    """An environment whose PATH holds only the named programs, and no Playwright browser."""

    def bare(*programs):
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir(exist_ok=True)
        for program in programs:
            (bin_dir / program).symlink_to(real_path(program))
        return {"PATH": str(bin_dir), "HOME": str(tmp_path), "CHROMIUM": "",
                "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "none")}  # fmt: skip

    return bare


def test_this_machine_is_ready():
    code, out = doctor()
    assert code == 0, out
    assert out.endswith("Ready for the workshop.\n")
    assert "MISSING" not in out


def test_the_sessions_run_on_the_python_that_runs_nox():
    code, out = doctor()
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    ok = f"ok       Python {version}, which every nox session runs on (the one running this)"
    assert f"{ok}: {sys.executable}\n" in out


def test_each_missing_program_gets_its_fix_and_fails_the_check(bare):
    code, out = doctor(**bare(), BACKCHAT_PYTHON="3.14")  # chosen, and not on PATH
    assert code == 1
    chosen = "MISSING  Python 3.14, which every nox session runs on (BACKCHAT_PYTHON chooses it)"
    assert f"{chosen}\n" in out
    assert "MISSING  Redis, for steps 05 and 06\n" in out
    assert "MISSING  Chromium, for the browser tests of steps 04-06\n" in out
    if DEBIAN:
        assert "         fix: sudo apt-get install redis-server\n" in out
    assert out.endswith("Fix the lines above, then run me again.\n")


def test_missing_optional_programs_do_not_fail_the_check(bare):
    code, out = doctor(**bare("redis-server", "chromium"))
    assert code == 0, out
    assert "optional other supported Pythons, for nox -s compat (" in out
    assert "optional uv, which makes each session's environment in seconds\n" in out


def test_a_python_the_workshop_does_not_support_fails_the_check():
    code, out = doctor(BACKCHAT_PYTHON="3.9")
    assert code == 1
    assert "MISSING  BACKCHAT_PYTHON=3.9: the workshop runs on Python 3.11, 3.12" in out


def test_a_busy_port_is_named_with_another_to_use():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out = doctor(PORT=str(port))
    assert code == 1
    assert f"MISSING  port {port} free, for nox -s serve\n" in out
    assert "fix: stop what uses it, or serve elsewhere: PORT=8001 nox -s serve -- 01\n" in out
