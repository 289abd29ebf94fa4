import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The tools are scripts, not a package: make them importable as modules.
ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "tools"))


@pytest.fixture
def write(tmp_path):
    """write(path, text) creates a file in the fake repository."""

    def write(path, text=""):
        file = tmp_path / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")

    return write


@pytest.fixture
def repo(tmp_path, write):
    """A fake repository with two steps."""
    write("steps/01-one/chat/models.py", "a = 1\nb = 2\n")
    write("steps/01-one/chat/old.py", "gone = True\n")
    write("steps/02-two/chat/models.py", "a = 1\nb = 3\n")
    write("steps/02-two/chat/new.py", "new = True\n")
    write("steps/02-two/chat/__init__.py")
    write("steps/02-two/static/vendor/htmx-2.0.4.min.js", "minified();\n")
    write("steps/02-two/db.sqlite3", "ignored")
    write("steps/02-two/chat/__pycache__/models.cpython-311.pyc", "ignored")
    return tmp_path


@pytest.fixture(scope="session")
def step_python(tmp_path_factory):
    """A Python with every step's pinned requirements (step 06's test requirements hold
    all the others'), pinned as every step session installs them."""
    venv = tmp_path_factory.mktemp("verify-env")
    requirements = ["-r", str(ROOT / "steps/06-deploy/requirements-test.txt"),
                    "-c", str(ROOT / "constraints.txt")]  # fmt: skip
    uv = shutil.which("uv")
    if uv:
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        install = [uv, "pip", "install", "-q", "--python", str(python)]
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        install = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*install, *requirements], check=True)
    return python
