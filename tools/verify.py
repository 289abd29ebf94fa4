"""Check your work: run a step's tests against your own project (`nox -s verify`).

    nox -s verify -- 03                  your project in ~/backchat against step 03
    nox -s verify -- 03 ~/code/chat      another folder (the one that holds manage.py)
    nox -s verify -- 05 ~/backchat -x    anything that starts with - goes to pytest
    nox -s verify -- 05 --no-browser     leave out the browser tests (no Chromium at hand)

The session installs the step's pinned requirements; this script then copies your
project to a scratch folder (your files stay untouched), puts the step's tests/ and
pytest.ini in place of yours, and runs them as `nox -s stepNN` does: the browser tests
in a process of their own, every server (Redis, nginx, ...) started by the tests.
It prints which behaviours pass and fail, one sentence per test, grouped by file; when
something fails it names the files that differ from the step, with a short diff.
Exit status: 0 when every behaviour passes, 1 when one fails, 2 for a wrong argument.
"""

import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import stepdiff

ROOT = stepdiff.ROOT
DEFAULT_PROJECT = "~/backchat"
# The step's tests and their settings replace the attendee's.
TEST_FILES = ["tests", "pytest.ini"]
# Not part of the project: version control, editors' folders, virtual environments.
NOT_PROJECT = {".git", ".hg", ".idea", ".vscode", ".nox", ".tox", "node_modules"}
DIFF_LINES = 12  # per file: enough to spot a typo, short enough to read


@dataclass
class Result:
    file: str  # tests/test_views.py
    name: str  # test_a_member_reads_the_room[ws]
    outcome: str  # "passed", "failed" or "skipped"
    message: str = ""  # the first line of the failure, or the reason for a skip
    details: str = ""  # the whole failure text (traceback)


def find_step(arg):
    """`3`, `03`, `step03` or `03-consumer` -> `03-consumer`, or None."""
    for step in stepdiff.list_steps():
        number = step[:2]
        if arg in (step, number, number.lstrip("0"), f"step{number}"):
            return step
    return None


def sentence(test_name):
    """test_a_non_member_gets_404[ws] -> "A non member gets 404 (ws)"."""
    name, _, params = test_name.partition("[")
    words = name.removeprefix("test_").replace("_", " ").strip()
    text = words[:1].upper() + words[1:]
    if not params:
        return text
    params = params.removesuffix("]")
    if len(params) > 40:  # a long parameter (a 2,000-character message, ...)
        params = params[:37] + "..."
    return f"{text} ({params})"


def is_project_part(rel):
    """False for what a copy of the project leaves out: caches, databases, environments."""
    return not any(
        part in NOT_PROJECT or any(Path(part).match(p) for p in stepdiff.IGNORED)
        for part in rel.parts
    )


def project_files(project):
    """Relative POSIX paths of the project's own files (no virtual environment inside)."""
    venvs = [p.parent for p in Path(project).rglob("pyvenv.cfg")]
    files = set()
    for path in Path(project).rglob("*"):
        rel = path.relative_to(project)
        if path.is_file() and is_project_part(rel) and not any(v in path.parents for v in venvs):
            files.add(rel.as_posix())
    return files


def is_test_file(rel):
    return rel.split("/")[0] in TEST_FILES


def prepare(project, step_dir, workdir):
    """Copy the project into workdir, with the step's tests and pytest.ini instead of its own."""
    for rel in sorted(project_files(project)):
        if not is_test_file(rel):
            (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(project / rel, workdir / rel)
    for rel in sorted(stepdiff.step_files(step_dir)):
        if is_test_file(rel):
            (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(step_dir / rel, workdir / rel)


def pytest_runs(workdir, browser):
    """The pytest runs, as `nox -s stepNN` makes them: [(label, arguments)]."""
    if not (workdir / "tests/browser").is_dir():
        return [("tests", [])]
    runs = [("tests", ["--ignore=tests/browser"])]
    if browser:
        # Live servers after async consumer tests in the same process can hang.
        runs.append(("browser tests", ["tests/browser"]))
    return runs


def run_tests(workdir, runs, pytest_args):
    """Run pytest for each run; return the results read from its JUnit XML reports."""
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the step's pytest.ini says which settings
    results = []
    for index, (label, args) in enumerate(runs):
        report = workdir.parent / f"report-{index}.xml"
        print(f"\n--- {label} ---", flush=True)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "--tb=short", "-o", "junit_family=xunit1", f"--junitxml={report}",
                   *args, *pytest_args]  # fmt: skip
        status = subprocess.run(command, cwd=workdir, env=env).returncode
        if not report.is_file():  # pytest could not even start (a broken conftest, ...)
            results.append(Result("tests", label, "failed", f"pytest stopped (exit {status})"))
            continue
        results += read_report(report)
    return results


def read_report(report):
    """Results from a JUnit XML report (xunit1: every test case names its file)."""
    results = []
    for case in ET.parse(report).iter("testcase"):
        file = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        skipped = case.find("skipped")
        if problem is not None:
            message = (problem.get("message") or "").strip().splitlines()
            first = message[0] if message else problem.tag
            results.append(Result(file, case.get("name"), "failed", first, problem.text or ""))
        elif skipped is not None:
            results.append(Result(file, case.get("name"), "skipped", skipped.get("message", "")))
        else:
            results.append(Result(file, case.get("name"), "passed"))
    return results


def normalised(text):
    """Lines compared without line endings or trailing spaces (Windows editors, ...)."""
    return [line.rstrip() for line in text.splitlines()]


def differences(project, step_dir):
    """[(status, path)] where the project differs from the step: "M" changed, "D" missing
    from the project, "A" only in the project. Tests are left out: the step's replace them."""
    theirs = {p for p in project_files(project) if not is_test_file(p)}
    ours = {p for p in stepdiff.step_files(step_dir) if not is_test_file(p)}
    changes = []
    for path in sorted(theirs | ours):
        if path not in theirs:
            changes.append(("D", path))
        elif path not in ours:
            changes.append(("A", path))
        else:
            mine, step = project / path, step_dir / path
            mine_text, step_text = stepdiff.read_text(mine), stepdiff.read_text(step)
            if mine_text is None or step_text is None:
                same = mine.read_bytes() == step.read_bytes()
            else:
                same = normalised(mine_text) == normalised(step_text)
            if not same:
                changes.append(("M", path))
    return changes


def short_diff(project, step_dir, path, limit=DIFF_LINES):
    """The first changed lines of a file: `-` what the step has, `+` what the project has."""
    mine, step = stepdiff.read_text(project / path), stepdiff.read_text(step_dir / path)
    if mine is None or step is None or stepdiff.is_vendored(path):
        return ["(a binary or vendored file: copy it from the step)"]
    lines = [
        line
        for line in difflib.unified_diff(
            normalised(step), normalised(mine), "step", "yours", n=1, lineterm=""
        )
        if not line.startswith(("---", "+++"))
    ]
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more diff lines"]
    return lines


def mentioned(path, results):
    """True if a failure's traceback names the file."""
    pattern = re.compile(r"(?<![\w.-])" + re.escape(path) + r"\b")
    return any(pattern.search(r.details.replace("\\", "/")) for r in results)


MARKS = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}


def summary(results):
    """The behaviours, one sentence each, grouped by test file."""
    lines = []
    by_file = {}
    for result in results:
        by_file.setdefault(result.file, []).append(result)
    for file, group in by_file.items():
        failed = sum(r.outcome == "failed" for r in group)
        tally = f"{len(group) - failed} of {len(group)} pass"
        lines.append(f"\n{file}: {tally}")
        for result in group:
            lines.append(f"  {MARKS[result.outcome]}  {sentence(result.name)}")
            if result.outcome != "passed" and result.message:
                lines.append(f"          {result.message[:200]}")
    return lines


def report_differences(project, step_dir, step, failures):
    """The files that differ from the step, those a failure names first, each with a diff."""
    changes = differences(project, step_dir)
    if not changes:
        return [
            f"\nYour files are the same as steps/{step}'s: the difference is elsewhere "
            "(a missing program, a database left over?). The output above says more."
        ]
    changes.sort(key=lambda change: not mentioned(change[1], failures))
    files = f"{len(changes)} file{'s' if len(changes) > 1 else ''}"
    lines = [f"\nWhat differs from steps/{step} ({files}; those a failure names first):"]
    for status, path in changes:
        if status == "D":
            lines.append(f"\n  {path}: missing from your project")
            continue
        if status == "A":
            lines.append(f"\n  {path}: only in your project (the step has no such file)")
            continue
        named = " (named in a failure)" if mentioned(path, failures) else ""
        lines.append(f"\n  {path}: differs{named}")
        lines += [f"    {line}" for line in short_diff(project, step_dir, path)]
    return lines


def verify(step, project, pytest_args=(), browser=True):
    """Run the step's tests on a copy of the project, print the summary; 0 if all pass."""
    step_dir = ROOT / "steps" / step
    with tempfile.TemporaryDirectory(prefix="backchat-verify-") as scratch:
        workdir = Path(scratch) / project.name
        workdir.mkdir()
        prepare(project, step_dir, workdir)
        print(f"Running the tests of steps/{step} on a copy of {project} ...", flush=True)
        results = run_tests(workdir, pytest_runs(workdir, browser), list(pytest_args))
    failures = [r for r in results if r.outcome == "failed"]
    print("\n".join([f"\n=== What works in {project}, by the tests of steps/{step} ===",
                     *summary(results)]))  # fmt: skip
    if not results:
        print("\nNo test ran: is the -k filter right?")
        return 1
    if not failures:
        print(f"\nAll {len(results)} behaviours of steps/{step} pass. Well done!")
        return 0
    print("\n".join(report_differences(project, step_dir, step, failures)))
    print(
        f"\n{len(failures)} of {len(results)} behaviours fail. Fix what the diff shows, or copy "
        f"the file from steps/{step}, and run this again."
    )
    return 1


def main(argv):
    args = list(argv)
    browser = "--no-browser" not in args
    args = [arg for arg in args if arg != "--no-browser"]
    step = find_step(args.pop(0)) if args else None
    if step is None:
        steps = ", ".join(stepdiff.list_steps())
        print(f"Which step? For example: nox -s verify -- 03 ~/backchat   (steps: {steps})")
        return 2
    where = args.pop(0) if args and not args[0].startswith("-") else DEFAULT_PROJECT
    project = Path(where).expanduser().resolve()
    if not (project / "manage.py").is_file():
        print(
            f"No Django project in {project}: give the folder that holds your manage.py, "
            f"for example: nox -s verify -- {step[:2]} ~/code/backchat"
        )
        return 2
    return verify(step, project, args, browser)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
