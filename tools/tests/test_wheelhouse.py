"""tools/wheelhouse.py: which versions each platform and Python gets, and whether PyPI has a
wheel of each for it. These ask PyPI (through uv) but download only a few small wheels: the
whole kit is hundreds of MB, and `nox -s offline` installs this machine's for real."""

import os

import pytest
import wheelhouse

LOCK = wheelhouse.CONSTRAINTS.read_text(encoding="utf-8")
# PyPI has no macOS x86_64 wheel of these (Rust, no pure-Python fallback): the docs say so.
NOT_SERVED = {"macos-x86_64": {"cbor2", "cryptography"}}

# The kit's own environment (UV_OFFLINE=1) runs `nox` with no network.
needs_pypi = pytest.mark.skipif(bool(os.environ.get("UV_OFFLINE")), reason="needs PyPI")


def test_each_python_is_resolved_where_the_lock_switches_a_pin():
    lock = "a==1 ; python_full_version < '3.11.5'\nb==2 ; python_full_version >= '3.11.10'\n"
    assert wheelhouse.python_points("3.11", lock) == ["3.11.0", "3.11.5", "3.11.10"]
    assert wheelhouse.python_points("3.12", lock) == ["3.12.0"]


def test_windows_gets_every_step_but_06():
    windows = wheelhouse.requirements(wheelhouse.PLATFORMS["windows-x86_64"])
    linux = wheelhouse.requirements(wheelhouse.PLATFORMS["linux-x86_64"])
    assert [f for f in linux if f not in windows] == [
        wheelhouse.ROOT / "steps/06-deploy/requirements-test.txt",
        wheelhouse.ROOT / "steps/06-deploy/requirements.txt",
    ]


@needs_pypi
@pytest.mark.parametrize("name", wheelhouse.PLATFORMS)
def test_pypi_has_a_wheel_of_every_pin_for_each_platform_and_python(name):
    plan = wheelhouse.plan(wheelhouse.PLATFORMS[name], wheelhouse.PYTHONS)
    assert {pin.split("==")[0] for pin in plan.missing} == NOT_SERVED.get(name, set())
    points = [p for minor in wheelhouse.PYTHONS for p in wheelhouse.python_points(minor, LOCK)]
    assert list(plan.pins) == points  # uv pinned every Python
    for pins in plan.pins.values():
        names = {pin.split("==")[0] for pin in pins} | {pin.split("==")[0] for pin in plan.pure}
        assert {"daphne", "autobahn", "nox", "uv"} <= names
        assert ("pyuwsgi" in names) == (name != "windows-x86_64")


@needs_pypi
@pytest.mark.parametrize("name", wheelhouse.PLATFORMS)
def test_pip_finds_the_wheel_for_each_platform(name, tmp_path):
    # greenlet's Linux wheels are manylinux_2_28 and its macOS ones universal2: the tags
    # pip is given must reach both.
    [pin] = [line for line in LOCK.splitlines() if line.startswith("greenlet==")]
    wheelhouse.download(wheelhouse.PLATFORMS[name], "3.13", [pin], tmp_path)
    [wheel] = tmp_path.glob("*.whl")
    assert wheel.name.startswith(f"{pin.replace('==', '-')}-cp313-cp313-")
