"""Any Python from 3.11: on a machine whose only Python is 3.12, or 3.13, nox runs every
session on it, and `nox -s doctor` names the same one. Each run installs nox and uv in an
environment of that Python, and puts nothing else on PATH: no other Python to fall back on."""

import os
import shutil
import subprocess

import helpers
import pytest

NOX_DEADLINE = 600  # seconds: a fresh environment and step 01's tests, on a busy laptop


def only_python(version, tmp_path):
    """A PATH whose only Python is `version` (with nox and uv installed for it)."""
    python = helpers.find_python(version)
    assert python, (
        f"This test needs Python {version}: install it (pyenv: `pyenv install {version}`, "
        f"then make it visible, e.g. PYENV_VERSION=3.11.7:3.12.1:3.13.0)"
    )
    uv = shutil.which("uv")
    assert uv, "This test needs uv: python3 -m pip install uv"
    venv = tmp_path / f"python{version}"
    subprocess.run([uv, "venv", "--quiet", "-p", python, venv], check=True)
    install = [uv, "pip", "install", "--quiet", "--python", venv / "bin/python", "nox", "uv"]
    subprocess.run(install, check=True)
    assert {p.name for p in (venv / "bin").glob("python*")} <= {
        "python",
        "python3",
        f"python{version}",
    }
    return str(venv / "bin")


def run(path, *args, **env):
    """A command on that PATH alone, from the repository's root."""
    clean = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYENV_VERSION")}
    result = subprocess.run(
        args, cwd=helpers.ROOT, env=clean | {"PATH": path} | env,
        capture_output=True, text=True, timeout=NOX_DEADLINE,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_nox_runs_step01_on_the_only_python_there(version, tmp_path):
    path = only_python(version, tmp_path)
    code, out = run(path, "python", "tools/doctor.py")
    assert f"ok       Python {version}, which every nox session runs on" in out, out
    envs = tmp_path / "envs"  # not .nox: the sessions of this checkout stay as they are
    code, out = run(path, "nox", "--envdir", str(envs), "-s", "step01", "--", "-p",
                    "no:cacheprovider")  # fmt: skip
    assert code == 0, out
    assert f"Python {version}." in out  # pytest's header: the session ran on it
    assert "Session step01 was successful" in out


def test_backchat_python_chooses_the_sessions_python(tmp_path):
    path = os.pathsep.join([only_python("3.12", tmp_path), only_python("3.13", tmp_path)])
    code, out = run(path, "nox", "-l", BACKCHAT_PYTHON="3.13")
    assert "step01 -> Run the tests of steps/01-django (Python 3.13)." in out, out
    code, out = run(path, "python", "tools/doctor.py", BACKCHAT_PYTHON="3.13")
    assert "ok       Python 3.13, which every nox session runs on (BACKCHAT_PYTHON" in out, out


def test_a_python_the_workshop_does_not_support_is_refused(tmp_path):
    path = only_python("3.12", tmp_path)
    code, out = run(path, "nox", "-l", BACKCHAT_PYTHON="3.10")
    assert code != 0
    assert "BACKCHAT_PYTHON=3.10: the workshop runs on Python 3.11, 3.12, 3.13, 3.14" in out
