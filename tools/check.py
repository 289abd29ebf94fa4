"""The repository's consistency checks (run by `nox -s check`).

    python tools/check.py

Each check is a function that returns a list of problems (empty when all is well):

- every step has the files of a standalone project;
- every code file that step N adds or changes is walked through on step N's docs
  page docs/steps/NN-name.md: included, whole or a section of it, in a fenced
  block with notes (`annotate="..."` on the fence, `--8<-- "steps/NN-name/path"`
  inside); merely naming its path is not enough. Tests (summarised), migrations
  (generated), vendored, empty and binary files, the data files in DATA_FILES and
  removed files may just be named in the text, such as `chat/models.py`;
- every fenced code block in docs/ is an include (only `--8<--` lines), an empty
  `stepdiff="NN-name"` block that the docs hook fills with the step's diff, or a
  console/bash/shell/sh/text/mermaid block: the docs never paste code;
- nothing in a step imports from another step or the repo root;
- constraints.txt pins every package that a step requires, and step 06's own
  requirements.lock exactly what constraints.txt pins for it;
- every step's screenshot (docs/assets/screenshots/) was taken of the step as it is;
- every timing plan in docs/ (a table whose columns start `| Start | Length |`) adds
  up: each slot starts when the one before ends, and the "Total: N minutes" after
  the table is the sum of the lengths.

Exits 1 if any check fails.
"""

import re
import sys
from itertools import pairwise
from pathlib import Path, PurePosixPath

import fences
import screenshots
import stepdiff

ROOT = stepdiff.ROOT
INLINE_LANGUAGES = {"console", "bash", "shell", "sh", "text", "mermaid"}
STEP_FILES = ["manage.py", "requirements.txt", "pytest.ini", "tests"]

# pymdownx.snippets: `--8<-- "path"` on one line, or a block of paths between bare `--8<--` lines.
SNIPPET_LINE = re.compile(r"""^\s*-+8<-+\s+(["'])(?P<path>.+)\1\s*$""")
SNIPPET_MARKER = re.compile(r"^\s*-+8<-+\s*$")
# Data files with nothing to annotate: naming them is enough (including them is fine).
DATA_FILES = {"requirements.txt", "requirements-test.txt", "requirements.lock"}


def check_step_layout(root=ROOT):
    """Every step is a standalone project with its requirements, tests and pytest.ini."""
    return [
        f"steps/{step}/{name} is missing: every step is a complete, standalone project"
        for step in stepdiff.list_steps(root)
        for name in STEP_FILES
        if not (root / "steps" / step / name).exists()
    ]


def mentions(text, path):
    """True if the page names `path` (relative to a step), alone or as steps/NN-name/path."""
    pattern = r"(?<![\w/.-])(?:steps/[\w.-]+/)?" + re.escape(path) + r"(?![\w/-])"
    return re.search(pattern, text) is not None


def needs_notes(step_dir, status, path):
    """True if a changed file must be walked through with notes, not merely named."""
    parts = PurePosixPath(path).parts
    if status == "D" or parts[0] == "tests" or "migrations" in parts[:-1]:
        return False  # removed, summarised (tests) or generated (migrations)
    if stepdiff.is_vendored(path) or parts[-1] in DATA_FILES:
        return False
    text = stepdiff.read_text(Path(step_dir) / path)
    return bool(text and text.strip())  # binary and empty files have no lines to note


def snippet_paths(body):
    """The files that the snippet lines of a block's body include (sections dropped)."""
    paths = []
    in_block = False
    for line in body:
        if SNIPPET_MARKER.match(line):
            in_block = not in_block
        elif match := SNIPPET_LINE.match(line):
            paths.append(match["path"])
        elif in_block and line.strip():
            paths.append(line.strip())
    return {path.split(":", 1)[0] for path in paths}


def annotated_includes(text):
    """Paths that the page includes in fenced blocks that carry notes."""
    return {
        path
        for block in fences.fences(text.splitlines())
        if block.notes
        for path in snippet_paths(block.body)
    }


def check_docs_cover_changes(root=ROOT):
    """Every code file that step N adds or changes is walked through on its page, with notes."""
    problems = []
    for old, new in pairwise(stepdiff.list_steps(root)):
        page = root / "docs" / "steps" / f"{new}.md"
        new_dir = root / "steps" / new
        changes = stepdiff.changed_files(root / "steps" / old, new_dir)
        if not page.is_file():
            problems.append(
                f"{page.relative_to(root).as_posix()} is missing: steps/{new} changes "
                f"{len(changes)} files since steps/{old} and every step needs its page"
            )
            continue
        text = page.read_text(encoding="utf-8")
        explained = annotated_includes(text)
        for status, path in changes:
            verb = {"A": "added", "M": "changed", "D": "removed"}[status]
            if needs_notes(new_dir, status, path):
                if f"steps/{new}/{path}" not in explained:
                    problems.append(
                        f"docs/steps/{new}.md does not walk through {path} ({verb} since {old}): "
                        f'include it, whole or a section, in a block with notes (annotate="...")'
                    )
                continue
            if mentions(text, path):
                continue
            source = old if status == "D" else new  # a removed file is only in the old step
            problems.append(
                f"docs/steps/{new}.md does not cover {path} ({verb} since {old}): include it "
                f'(--8<-- "steps/{source}/{path}") or name `{path}` in the text'
            )
    return problems


def language(info):
    """The language of a fence info string: `python title="x"`, `{ .python }`, `py3`..."""
    info = info.strip()
    if info.startswith("{"):
        match = re.search(r"\.([\w+-]+)", info)
        return match[1].lower() if match else ""
    return re.split(r"[\s{]", info, maxsplit=1)[0].lower() if info else ""


def is_include(body):
    """True if a block's body holds only snippet lines (and blank lines)."""
    in_block = found = False
    for line in body:
        if SNIPPET_MARKER.match(line):
            in_block, found = not in_block, True
        elif SNIPPET_LINE.match(line):
            found = True
        elif line.strip() and not in_block:
            return False
    return found


def is_generated(block):
    """True for an empty fence that the docs hook fills: ```diff stepdiff="04-htmx"."""
    return bool(block.option(fences.STEPDIFF)) and not any(line.strip() for line in block.body)


def check_docs_code_blocks(root=ROOT):
    """Code in the docs is included from steps/, never pasted (shell blocks excepted)."""
    problems = []
    for page in sorted((root / "docs").rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for block in fences.fences(text.splitlines()):
            lang = language(block.info)
            if not (is_include(block.body) or is_generated(block)) and lang not in INLINE_LANGUAGES:
                where = f"{page.relative_to(root).as_posix()}:{block.start + 1}"
                problems.append(
                    f"{where}: a ```{lang or '(no language)'} "
                    f"block pastes code: include it with --8<-- from steps/, or use one of "
                    f"{', '.join(sorted(INLINE_LANGUAGES))} for commands and output"
                )
    return problems


CROSS_IMPORT = re.compile(
    r"^\s*(?:from|import)\s+steps\b|\bsys\.path\s*(?:\.(?:insert|append|extend)|\+?=)"
)


def check_no_cross_step_imports(root=ROOT):
    """Nothing under a step imports from another step or edits sys.path to reach one."""
    problems = []
    for step in stepdiff.list_steps(root):
        step_dir = root / "steps" / step
        for rel in sorted(stepdiff.step_files(step_dir)):
            if not rel.endswith(".py"):
                continue
            text = (step_dir / rel).read_text(encoding="utf-8")
            for number, line in enumerate(text.splitlines(), 1):
                if CROSS_IMPORT.search(line):
                    problems.append(
                        f"steps/{step}/{rel}:{number}: {line.strip()!r}: a step must stand "
                        f"alone, without imports from other steps or sys.path changes"
                    )
    return problems


def requirement_names(path):
    """Normalised project names in a requirements file (options and comments skipped)."""
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#")[0])
        if match:
            names.add(re.sub(r"[-_.]+", "-", match[1]).lower())
    return names


def check_constraints_cover_requirements(root=ROOT):
    """constraints.txt pins every requirement of every step (re-lock with `nox -s lock`)."""
    constraints = root / "constraints.txt"
    if not constraints.is_file():
        return ["constraints.txt is missing: run `nox -s lock`"]
    pinned = requirement_names(constraints)
    return [
        f"{path.relative_to(root).as_posix()} needs {name}, which constraints.txt does not pin: "
        f"run `nox -s lock`"
        for step in stepdiff.list_steps(root)
        for path in sorted((root / "steps" / step).glob("requirements*.txt"))
        for name in sorted(requirement_names(path) - pinned)
    ]


def pins(path):
    """{name: version} of a uv-compiled lock file (markers aside)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if match:
            found.setdefault(re.sub(r"[-_.]+", "-", match[1]).lower(), set()).add(match[2])
    return found


def required_by(constraints, requirements):
    """Names constraints.txt pins for one requirements file: those its `# via` notes give
    that file, and then, over and over, those they give a name already found."""
    vias, name = {}, None
    for line in constraints.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==", line):
            name = re.sub(r"[-_.]+", "-", match[1]).lower()
        elif name and (via := re.match(r"\s*#\s+(?:via\s+)?(\S.*)$", line)):
            vias.setdefault(name, set()).add(via[1].strip())
    found = {name for name, via in vias.items() if f"-r {requirements}" in via}
    while grown := {name for name, via in vias.items() if via & found} - found:
        found |= grown
    return found


def check_step_locks_current(root=ROOT):
    """A step's own requirements.lock pins what constraints.txt pins for it (`nox -s lock`).

    Step 06 has one, for its image: exactly the packages constraints.txt pins for its
    requirements.txt, at the same versions."""
    constraints = root / "constraints.txt"
    problems = []
    for lock in sorted((root / "steps").glob("*/requirements.lock")):
        step = lock.parent.relative_to(root).as_posix()
        workshop = pins(constraints)
        wanted = {
            name: workshop[name] for name in required_by(constraints, f"{step}/requirements.txt")
        }
        if pins(lock) != wanted:
            problems.append(
                f"{step}/requirements.lock differs from constraints.txt: run `nox -s lock`"
            )
    return problems


def check_screenshots_current(root=ROOT):
    """Every step's screenshot shows the step as it is (retake with `nox -s screenshots`)."""
    recorded = screenshots.recorded_hashes(root)
    folder = screenshots.SCREENSHOTS.as_posix()
    steps = stepdiff.list_steps(root)
    problems = []
    for step in steps:
        png = f"{folder}/{step}.png"
        if not (root / png).is_file():
            why = "is missing"
        elif recorded.get(step) != screenshots.step_hash(root / "steps" / step, step):
            why = f"is stale: steps/{step} (or its scene in tools/screenshots.py) has changed"
        else:
            continue
        problems.append(f"{png} {why}: run `nox -s screenshots -- {step[:2]}`")
    taken = {png.stem for png in (root / folder).glob("*.png")} | set(recorded)
    problems += [
        f"{folder}/{step}.png is left over: there is no steps/{step}; delete it and its "
        f"entry in {screenshots.SOURCES.as_posix()}"
        for step in sorted(taken - set(steps))
    ]
    return problems


# A timing plan: | Start | Length | ... with rows such as | 0:10 | 25' | ...
PLAN_HEADER = re.compile(r"^\|\s*Start\s*\|\s*Length\s*\|")
PLAN_ROW = re.compile(r"^\|\s*(?P<start>[^|]*?)\s*\|\s*(?P<length>[^|]*?)\s*\|")
PLAN_TOTAL = re.compile(r"\bTotal:\s*(?P<total>\d+)\s*minutes\b")


def plan_rows(lines, header):
    """The (line number, start, length) of a plan's rows, after its header and rule."""
    rows = []
    for number in range(header + 2, len(lines)):
        match = PLAN_ROW.match(lines[number])
        if not lines[number].startswith("|") or not match:
            break
        rows.append((number + 1, match["start"], match["length"]))
    return rows


def check_timing_plans(root=ROOT):
    """Every timing plan in the docs adds up: slots follow each other and sum to the total."""
    problems = []
    for page in sorted((root / "docs").rglob("*.md")):
        rel = page.relative_to(root).as_posix()
        lines = page.read_text(encoding="utf-8").splitlines()
        for header, line in enumerate(lines):
            if not PLAN_HEADER.match(line):
                continue
            rows = plan_rows(lines, header)
            expected = summed = 0
            for number, start, length in rows:
                clock = re.fullmatch(r"(\d+):(\d\d)", start)
                minutes = re.fullmatch(r"(\d+)\s*(?:'|min)", length)
                if not clock or not minutes:
                    problems.append(
                        f"{rel}:{number}: a slot needs a start such as 0:10 and a length such "
                        f"as 25' (it has {start!r} and {length!r})"
                    )
                    break
                begins = int(clock[1]) * 60 + int(clock[2])
                if begins != expected:
                    problems.append(
                        f"{rel}:{number}: this slot starts at {start}, but the one before "
                        f"ends at {expected // 60}:{expected % 60:02d}"
                    )
                expected = begins + int(minutes[1])
                summed += int(minutes[1])
            after = "\n".join(lines[header + 2 + len(rows) : header + 2 + len(rows) + 5])
            total = PLAN_TOTAL.search(after)
            if total is None:
                problems.append(
                    f"{rel}:{header + 1}: a timing plan needs its claim right after the table: "
                    f"'Total: {summed} minutes.'"
                )
            elif int(total["total"]) != summed:
                problems.append(
                    f"{rel}:{header + 1}: the plan says 'Total: {total['total']} minutes', but "
                    f"its slots add up to {summed} minutes"
                )
    return problems


CHECKS = [
    check_step_layout,
    check_docs_cover_changes,
    check_docs_code_blocks,
    check_no_cross_step_imports,
    check_constraints_cover_requirements,
    check_step_locks_current,
    check_screenshots_current,
    check_timing_plans,
]


def main(root=ROOT):
    failed = 0
    for check in CHECKS:
        problems = check(root)
        summary = check.__doc__.splitlines()[0]
        print(f"{'FAIL' if problems else 'ok  '}  {summary}")
        for problem in problems:
            print(f"        {problem}")
        failed += bool(problems)
    print(f"\n{failed} of {len(CHECKS)} checks failed." if failed else "\nAll checks passed.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
