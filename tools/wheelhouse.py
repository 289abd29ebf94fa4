"""Download every wheel the workshop needs into one folder, for the platforms and Pythons
named: an install with no network at all, from a USB stick.

    python tools/wheelhouse.py [FOLDER] [--platform NAME,...|all] [--python 3.X,...|all]

    nox -s wheelhouse                                  this machine, the sessions' Python
    nox -s wheelhouse -- --platform all --python all   the kit to hand out

FOLDER is wheelhouse/ unless given; it is emptied of wheels first. The platforms are
linux-x86_64, linux-arm64, macos-arm64, macos-x86_64 and windows-x86_64; the Pythons 3.11
to 3.14. One folder serves them all: most wheels are pure Python and shared, and an
installer picks the files that fit its machine. FOLDER/README.md gets the install commands,
and says what the kit serves. `all` builds every platform that PyPI's wheels serve and
names the others; naming one that they cannot serve is an error.

Needs uv, to pin the versions for each platform and Python, and pip, to download them.
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import helpers

ROOT = helpers.ROOT
CONSTRAINTS = ROOT / "constraints.txt"
PYTHONS = helpers.SUPPORTED_PYTHONS
MACOS = "11.0"  # the first macOS on Apple silicon


def manylinux(arch):
    # pip takes a glibc tag literally: name every one from 2.28 down, best first.
    return (
        *(f"manylinux_2_{minor}_{arch}" for minor in range(28, 16, -1)),
        f"manylinux2014_{arch}",
    )


@dataclass(frozen=True)
class Platform:
    name: str
    title: str
    uv: str  # uv's --python-platform
    pip: tuple  # pip's --platform tags
    skip: str = ""  # a step whose packages it cannot run


PLATFORMS = {
    p.name: p
    for p in [
        Platform("linux-x86_64", "Linux x86_64, glibc 2.28 or newer (Debian 10+, Ubuntu 20.04+, "
                 "WSL)", "x86_64-manylinux_2_28", manylinux("x86_64")),
        Platform("linux-arm64", "Linux arm64, glibc 2.28 or newer", "aarch64-manylinux_2_28",
                 manylinux("aarch64")),
        Platform("macos-arm64", f"macOS {MACOS} or newer on Apple silicon",
                 "aarch64-apple-darwin", (f"macosx_{MACOS.replace('.', '_')}_arm64",)),
        Platform("macos-x86_64", f"macOS {MACOS} or newer on Intel", "x86_64-apple-darwin",
                 (f"macosx_{MACOS.replace('.', '_')}_x86_64",)),
        Platform("windows-x86_64", "Windows x64 (steps 01-05)", "x86_64-pc-windows-msvc",
                 ("win_amd64",), skip="06-deploy"),  # uWSGI has no Windows build
    ]
}  # fmt: skip

# Packages whose source builds, on request, a py3-none-any wheel: the platforms that PyPI
# has no wheel of them for get that. autobahn's build hook documents AUTOBAHN_USE_NVX=0 as
# a supported pure-Python build: its C accelerator for websocket masking and UTF-8 checks
# is optional, and autobahn falls back to Python code that does the same, more slowly.
PURE = {"autobahn": {"AUTOBAHN_USE_NVX": "0"}}


def this_platform():
    system = {"darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    return f"{system}-{arch}"


def python_points(minor, lock_text):
    """The versions to resolve a Python at: X.Y.0 and each X.Y.Z where the lock's markers
    switch a pin, so that any X.Y.Z finds its pins (Debian 12's Python is 3.11.2)."""
    found = re.findall(rf"python_full_version \S+ '({re.escape(minor)}\.\d+)'", lock_text)
    return sorted({f"{minor}.0", *found}, key=lambda v: [int(n) for n in v.split(".")])


def requirements(target):
    """The requirement files of the tools and of every step that the platform runs."""
    files = [ROOT / "tools/requirements.in", *sorted(ROOT.glob("steps/*/requirements*.txt"))]
    return [f for f in files if not (target and target.skip in f.parts)]


def uv_compile(workdir, inputs, *args):
    # nox and uv are installed before anything else; some sessions install pip.
    runner = workdir / "runner.in"
    runner.write_text("nox\nuv\npip\n")
    # --python: this one stands in for the target's, and uv need not look for another.
    return subprocess.run(
        ["uv", "pip", "compile", "--quiet", "--no-python-downloads", "--python", sys.executable,
         "-c", CONSTRAINTS, *inputs, runner, *args],
        env=os.environ | {"MACOSX_DEPLOYMENT_TARGET": MACOS},
    ).returncode == 0  # fmt: skip


def resolve(target, python, workdir, *args):
    """uv's pins for one platform and Python version, as pylock.toml packages: each lists
    the wheels that fit that platform (none: there are none). None if uv finds no pins."""
    lock = workdir / "pylock.toml"
    args = ["--python-platform", target.uv, "--python-version", python, *args]
    if not uv_compile(workdir, requirements(target), *args, "-o", lock):
        return None
    return tomllib.loads(lock.read_text(encoding="utf-8"))["packages"]


@dataclass
class Plan:
    """What one platform needs for some Pythons."""

    pins: dict  # Python version -> pins that PyPI has a wheel of
    pure: set  # pins to build as pure-Python wheels
    missing: dict  # what no wheel serves -> Pythons X.Y

    def lacks(self, what, minor):
        if minor not in self.missing.setdefault(what, []):
            self.missing[what].append(minor)


def plan(target, minors):
    result = Plan({}, set(), {})
    lock_text = CONSTRAINTS.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as workdir:
        workdir = Path(workdir)
        for minor in minors:
            for python in python_points(minor, lock_text):
                packages = resolve(target, python, workdir)
                if packages is None:  # a pin with no wheel and no source, say
                    result.lacks("pins that fit (uv's message is above)", minor)
                    continue
                result.pins[python] = []
                for package in packages:
                    pin = f"{package['name']}=={package['version']}"
                    if package.get("wheels"):
                        result.pins[python].append(pin)
                    elif package["name"] in PURE:
                        result.pure.add(pin)
                    else:
                        result.lacks(pin, minor)
    return result


def pure_wheel_name(pin):
    name, version = pin.split("==")
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


def build_pure(pin, folder):
    name = pin.split("==")[0]
    with tempfile.TemporaryDirectory() as out:
        # No cache: pip would reuse a wheel built earlier with the accelerator.
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-cache-dir", "--no-deps",
             "--no-binary", name, "-w", out, pin],
            env=os.environ | PURE[name], check=True,
        )  # fmt: skip
        built = [wheel.name for wheel in Path(out).glob("*.whl")]
        if built != [pure_wheel_name(pin)]:
            sys.exit(f"Building {pin} without its C code gave {built}, not a pure-Python wheel.")
        shutil.move(Path(out) / built[0], folder / built[0])


def download(target, python, pins, folder):
    tags = [arg for tag in target.pip for arg in ("--platform", tag)]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--implementation", "cp", "--python-version", python, *tags, "-d", folder, *pins],
        check=True,
    )  # fmt: skip


def fetch(target, result, folder):
    """Put the wheels of a platform's plan into the folder."""
    for pin in sorted(result.pure):
        if not (folder / pure_wheel_name(pin)).exists():
            build_pure(pin, folder)
    done = set()  # (Python X.Y, pin): its other X.Y.Z only add what their markers switch
    for python, pins in result.pins.items():
        minor = python.rsplit(".", 1)[0]
        new = [pin for pin in pins if (minor, pin) not in done]
        if new:
            download(target, python, new, folder)
        done.update((minor, pin) for pin in new)


def prove(target, pythons, folder):
    """Resolve each Python from the folder alone, as a laptop with no network would: return
    the names of the files that fit the platform."""
    used = set()
    with tempfile.TemporaryDirectory() as workdir:
        for python in pythons:
            packages = resolve(
                target, python, Path(workdir), "--offline", "--no-index", "--find-links", folder
            )
            if packages is None:
                sys.exit(f"{folder} does not serve {target.name}, Python {python}: see above.")
            used.update(wheel["url"].rsplit("/", 1)[1] for p in packages for wheel in p["wheels"])
    return used


POSIX = helpers.OFFLINE_INSTALL.format(python="python3", venv="~/.venvs/nox", kit="$PWD/{folder}")
POSIX += "nox -s step01"

WINDOWS = """\
py -m venv $HOME\\.venvs\\nox
& $HOME\\.venvs\\nox\\Scripts\\pip install --no-index --find-links {folder} nox uv
$env:PATH = "$HOME\\.venvs\\nox\\Scripts;$env:PATH"
$env:UV_OFFLINE = "1"; $env:UV_NO_INDEX = "1"; $env:UV_FIND_LINKS = "$PWD\\{folder}"
$env:PIP_NO_INDEX = "1"; $env:PIP_FIND_LINKS = "$PWD\\{folder}"
nox -s step01"""


def indent(text):
    return "".join(f"    {line}\n" for line in text.splitlines())


def readme(folder, served, gaps, pure, minors):
    """The kit's README.md: what it serves and how to install from it."""
    pythons = ", ".join(minors)
    lines = [
        "# Offline kit: every wheel the workshop needs",
        "",
        f"Pinned by the workshop's constraints.txt, for Python {pythons} on:",
        "",
    ]
    lines += [f"- {target.title}" for target in served]
    if gaps:
        lines += ["", "Not in this kit, because PyPI has no wheel of some pins for it:", ""]
        lines += [f"- {target.title}: {why}" for target, why in gaps]
    if pure:
        lines += [
            "",
            "Built here from the source on PyPI as pure-Python wheels, for the "
            "platforms that PyPI has no wheel of them for:",
            "",
        ]
        for pin, names in sorted(pure.items()):
            switch = " ".join(f"{k}={v}" for k, v in PURE[pin.split("==")[0]].items())
            lines.append(f"- {pin}, with {switch}, for {', '.join(names)}")
    lines += [
        "",
        "Copy the repository with this folder inside it to the laptop. In the "
        "repository's folder, with no network:",
        "",
    ]
    if any(not target.name.startswith("windows") for target in served):
        lines += ["Linux, macOS, WSL:", "", indent(POSIX.format(folder=folder.name))]
    if any(target.name.startswith("windows") for target in served):
        lines += [
            "Windows (PowerShell): steps 01-05. Step 06 runs uWSGI, which has no "
            "Windows build: use WSL for it.",
            "",
            indent(WINDOWS.format(folder=folder.name)),
        ]
    lines += [
        "The nox sessions run on the Python that runs nox. With these variables set,",
        "`pip install -r requirements.txt -c ../../constraints.txt` in a step works offline",
        "too, in a virtual environment of any of these Pythons. Redis, nginx, PostgreSQL and",
        "Chromium are not Python packages: `nox -s doctor` says what the machine lacks.",
    ]
    return "\n".join(lines) + "\n"


def choose(value, choices, what):
    names = choices if value == "all" else value.split(",")
    for name in names:
        if name not in choices:
            sys.exit(f"No {what} {name!r}: choose from {', '.join(choices)} or all.")
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=Path("wheelhouse"))
    parser.add_argument("--platform", default=this_platform(), help="default: this machine")
    parser.add_argument(
        "--python", default=f"{sys.version_info[0]}.{sys.version_info[1]}", help="default: this"
    )
    args = parser.parse_args()
    targets = [PLATFORMS[name] for name in choose(args.platform, list(PLATFORMS), "platform")]
    minors = choose(args.python, PYTHONS, "Python")
    folder = args.folder
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*.whl"), folder / "README.md"]:
        old.unlink(missing_ok=True)

    plans, gaps, pure = {}, [], {}
    for target in targets:
        print(f"--- {target.title}: Python {', '.join(minors)}", flush=True)
        result = plan(target, minors)
        if result.missing:
            why = "; ".join(f"{pin} (Python {', '.join(p)})" for pin, p in result.missing.items())
            if args.platform != "all":
                sys.exit(f"{target.name} cannot be served: PyPI has no wheel for it of {why}")
            gaps.append((target, why))
            print(f"NOT SERVED: PyPI has no wheel for {target.name} of {why}", flush=True)
            continue
        fetch(target, result, folder)
        plans[target] = result
        for pin in result.pure:
            pure.setdefault(pin, []).append(target.name)
    for target, result in plans.items():
        used = prove(target, result.pins, folder)
        size = sum((folder / name).stat().st_size for name in used) / 1024**2
        print(f"{target.name}: {len(used)} wheels, {size:.0f} MB, the folder alone serves it")

    text = readme(folder, list(plans), gaps, pure, minors)
    (folder / "README.md").write_text(text, encoding="utf-8")
    wheels = list(folder.glob("*.whl"))
    size = sum(wheel.stat().st_size for wheel in wheels) / 1024**2
    print(f"\n{text}\nIn all: {len(wheels)} wheels, {size:.0f} MB, in {folder}/ "
          f"(its README.md says the above)")  # fmt: skip


if __name__ == "__main__":
    main()
