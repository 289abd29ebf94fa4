"""The GitHub Actions workflow (.github/workflows/steps.yml): valid by the workflow schema
that check-jsonschema ships, and each platform runs the steps that it can run."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import stepdiff
import wheelhouse

WORKFLOWS = stepdiff.ROOT / ".github/workflows"
WORKFLOW = WORKFLOWS / "steps.yml"


def validate(*files):
    """check-jsonschema with GitHub's workflow schema, as vendored in check-jsonschema."""
    program = shutil.which("check-jsonschema")
    if program is None:
        pytest.fail(
            "check-jsonschema is missing: pip install check-jsonschema (nox -s check has it)"
        )
    command = [program, "--builtin-schema", "vendor.github-workflows", *map(str, files)]
    return subprocess.run(command, capture_output=True, text=True)


def test_the_workflows_are_valid():
    result = validate(*sorted(WORKFLOWS.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("right", "wrong"),
    [
        ("runs-on: macos-14", "runs-on: [macos-14"),  # not YAML
        ("runs-on: macos-14", "runz-on: macos-14"),  # not a key of a job
        ("timeout-minutes: 60", "timeout-minutes: an hour"),  # not a number
    ],
)
def test_a_broken_workflow_is_refused(tmp_path, right, wrong):
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace(right, wrong, 1))
    assert validate(broken).returncode != 0


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
