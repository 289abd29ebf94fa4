"""Download every wheel the workshop needs, for this platform and this Python, into one
folder: an install with no network at all, from a USB stick.

    python tools/wheelhouse.py wheelhouse        (nox -s wheelhouse runs it on Python 3.11)

On a machine of the same kind, with the folder beside the workshop:

    python3 -m pip install --no-index --find-links wheelhouse nox uv
    export UV_OFFLINE=1 UV_NO_INDEX=1 UV_FIND_LINKS=$PWD/wheelhouse
    export PIP_NO_INDEX=1 PIP_FIND_LINKS=$PWD/wheelhouse
    nox

Needs uv, to pin the versions for this Python, and pip, to download them.
"""

import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(folder):
    folder.mkdir(parents=True, exist_ok=True)
    requirements = [ROOT / "tools/requirements.in", *sorted(ROOT.glob("steps/*/requirements*.txt"))]
    with tempfile.TemporaryDirectory() as workdir:
        runner = Path(workdir) / "runner.in"  # nox and uv, installed before anything else
        runner.write_text("nox\nuv\n")
        pins = Path(workdir) / "pins.txt"
        # The lock's markers pick versions by Python version: uv evaluates them for this one.
        subprocess.run(
            ["uv", "pip", "compile", "--quiet", "--no-header", "--no-annotate",
             "--python-version", platform.python_version(), "-c", ROOT / "constraints.txt",
             *requirements, runner, "-o", pins],
            check=True,
        )  # fmt: skip
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "-d", folder, "-r", pins],
            check=True,
        )  # fmt: skip
    wheels = list(folder.glob("*.whl"))
    size = sum(wheel.stat().st_size for wheel in wheels) / 1024**2
    print(f"{len(wheels)} wheels, {size:.0f} MB, for Python {platform.python_version()} on "
          f"{platform.system()} {platform.machine()}, in {folder}")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
