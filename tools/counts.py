"""Test counts typed on the pages, checked against the tests as they are.

A count drifts as soon as a test is added: "201 tests" on a page, 204 in the step.
`problems(root, python)` finds every count the docs state and collects the same tests
with pytest (`--collect-only`, nothing runs) to compare:

- in a console block, a pytest run's "collected N items" and "N passed" lines: the run
  is the `python -m pytest ...` or `nox > pytest ...` command above them (a bare
  `nox -s stepNN` is its first run: everything but the browser and multi-host tests);
  the step is the page's, or the one the block `cd`s into or names in `nox -s stepNN`.
  Runs filtered with -k, or of single tests, are left alone (their counts are examples);
- in the text, "`nox -s stepNN` (N tests" and its "then M in Chromium".

`python` is an interpreter with the steps' requirements (tools/tests/conftest.py makes
one); tools/tests/test_counts.py runs the check in `nox -s check`.
"""

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import fences
import stepdiff

# What `nox -s stepNN` runs first, and then (when there are browser tests).
MAIN_RUN = ["--ignore=tests/browser"]
BROWSER_RUN = ["tests/browser"]

COMMAND = re.compile(r"^(?:\$ |nox > )(?P<command>.*)$")
NOX_STEP = re.compile(r"\bnox\s+(?:-\w+\s+)*-s\s+step(?P<number>\d\d)\b")
CD_STEP = re.compile(r"\bcd\s+(?:\S*/)?steps/(?P<step>\d\d-[\w-]+)")
COUNT_LINE = re.compile(r"(?:collected (?P<collected>\d+) items?\b|\b(?P<passed>\d+) passed\b)")
PROSE = re.compile(
    r"`nox -s step(?P<number>\d\d)`\s+\((?P<main>\d+) tests"
    r"(?:,\s+then\s+(?P<browser>\d+)\s+in\s+Chromium)?"
)


@dataclass(frozen=True)
class Claim:
    page: str  # docs/steps/05-workers.md
    line: int
    step: str  # 05-workers
    args: tuple  # the pytest run's arguments
    number: int
    text: str  # what the page says, for the message


def step_named(number, steps):
    return next((step for step in steps if step.startswith(number)), None)


def pytest_args(command):
    """The selection of a pytest command line, or None if it is not a whole-suite run."""
    words = shlex.split(command)
    if "pytest" not in words:
        return None
    args = words[words.index("pytest") + 1 :]
    if any(arg in ("-k", "-m") or arg.startswith(("-k", "-m")) or "::" in arg for arg in args):
        return None  # a filtered run: an example, not the suite
    return tuple(arg for arg in args if arg.startswith("--ignore") or not arg.startswith("-"))


def block_claims(page, start, body, page_step, steps):
    """The counts of the pytest runs in one console block."""
    claims = []
    step, args = page_step, None
    for offset, line in enumerate(body, 1):
        if match := COMMAND.match(line.strip()):
            command = match["command"]
            if cd := CD_STEP.search(command):
                step = cd["step"]
            if nox := NOX_STEP.search(command):
                step, args = step_named(nox["number"], steps), tuple(MAIN_RUN)
            elif "pytest" in command:
                args = pytest_args(command)
            continue
        count = COUNT_LINE.search(line)
        if count and step and args is not None:
            number = int(count["collected"] or count["passed"])
            claims.append(Claim(page, start + offset, step, args, number, line.strip(" =")))
    return claims


def prose_claims(page, text, steps):
    """ "`nox -s step05` (204 tests, then 18 in Chromium)" in the text."""
    claims = []
    for match in PROSE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        step = step_named(match["number"], steps)
        if step is None:
            continue
        claims.append(Claim(page, line, step, tuple(MAIN_RUN), int(match["main"]), match[0]))
        if match["browser"]:
            browser = int(match["browser"])
            claims.append(Claim(page, line, step, tuple(BROWSER_RUN), browser, match[0]))
    return claims


def claims(root):
    """Every test count the docs state."""
    steps = stepdiff.list_steps(root)
    found = []
    for page in sorted((root / "docs").rglob("*.md")):
        rel = page.relative_to(root).as_posix()
        text = page.read_text(encoding="utf-8")
        page_step = page.stem if page.stem in steps else None
        for block in fences.fences(text.splitlines()):
            if block.lang in ("console", "text", "shell", "bash", "sh"):
                found += block_claims(rel, block.start + 1, block.body, page_step, steps)
        found += prose_claims(rel, text, steps)
    return found


def collect(python, step_dir, args):
    """How many tests pytest selects with these arguments (none of them run)."""
    step_dir = Path(step_dir)
    existing = [a for a in args if a.startswith("-") or (step_dir / a.split("::")[0]).exists()]
    if len(existing) < len(args):
        return 0  # a path the step does not have (tests/browser before step 04)
    done = subprocess.run(
        [str(python), "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=step_dir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    match = re.search(r"^(\d+) tests? collected", done.stdout, re.M)
    if match is None:
        raise RuntimeError(f"pytest could not collect {args} in {step_dir}:\n{done.stdout}")
    return int(match[1])


def problems(root, python):
    """A message for every count on the pages that is not what pytest collects."""
    counted = {}
    found = []
    for claim in claims(root):
        key = (claim.step, claim.args)
        if key not in counted:
            counted[key] = collect(python, root / "steps" / claim.step, claim.args)
        if counted[key] != claim.number:
            found.append(
                f"{claim.page}:{claim.line}: says {claim.text!r}, but steps/{claim.step} has "
                f"{counted[key]} tests in `pytest {' '.join(claim.args)}`: run it and copy "
                f"what it prints"
            )
    return found
