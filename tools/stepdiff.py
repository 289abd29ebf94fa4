"""The files of a step and the diff between two steps, for the checks and the docs.

`step_diff` is what each step's page shows as "The whole diff": the docs hook
(docs/hooks/annotate.py) makes it at build time, so no diff is committed. It is
like `diff -ruN steps/01-django steps/02-auth`, but stable: files in sorted order,
paths shown as `a/chat/models.py` and `b/chat/models.py`, no timestamps.
Generated files (__pycache__, db.sqlite3, ...) are ignored; vendored files (under
`static/vendor/`) and binary files are summarised in one line instead of their content.
"""

import difflib
import fnmatch
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Files and directories that tests or the dev server create inside a step.
IGNORED = [
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".venv",
    "db.sqlite3*",
    "test-artifacts",
    "staticfiles",
    ".DS_Store",
]


def list_steps(root=ROOT):
    """The step directory names in order: ["01-django", "02-auth", ...]."""
    steps = root / "steps"
    if not steps.is_dir():
        return []
    return sorted(p.name for p in steps.iterdir() if p.is_dir() and re.match(r"\d\d-", p.name))


def step_files(step_dir):
    """Relative POSIX paths of the files in a step, without the ignored ones."""
    files = set()
    for path in Path(step_dir).rglob("*"):
        rel = path.relative_to(step_dir)
        if any(fnmatch.fnmatch(part, pattern) for part in rel.parts for pattern in IGNORED):
            continue
        if path.is_file():
            files.add(rel.as_posix())
    return files


def changed_files(old_dir, new_dir):
    """[(status, path)] for every file added ("A"), removed ("D") or modified ("M")."""
    old, new = step_files(old_dir), step_files(new_dir)
    changes = []
    for path in sorted(old | new):
        if path not in new:
            changes.append(("D", path))
        elif path not in old:
            changes.append(("A", path))
        elif (Path(old_dir) / path).read_bytes() != (Path(new_dir) / path).read_bytes():
            changes.append(("M", path))
    return changes


def is_vendored(path):
    return "/static/vendor/" in f"/{path}"


def read_text(path):
    """The file's text, or None if it is binary."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _lines(text):
    """Lines for a unified diff, marking a missing newline at the end like diff does."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def file_diff(old_dir, new_dir, status, path):
    """The diff text of one changed file."""
    verb = {"A": "added", "D": "removed", "M": "changed"}[status]
    old_text = "" if status == "A" else read_text(Path(old_dir) / path)
    new_text = "" if status == "D" else read_text(Path(new_dir) / path)
    if is_vendored(path) or old_text is None or new_text is None:
        return f"Binary/vendored file {verb}: {path}\n"
    if old_text == new_text == "":
        return f"Empty file {verb}: {path}\n"
    lines = difflib.unified_diff(
        _lines(old_text),
        _lines(new_text),
        fromfile="/dev/null" if status == "A" else f"a/{path}",
        tofile="/dev/null" if status == "D" else f"b/{path}",
    )
    return "".join(lines)


def step_diff(old_dir, new_dir):
    """The whole diff from one step directory to the next."""
    changes = changed_files(old_dir, new_dir)
    return "".join(file_diff(old_dir, new_dir, status, path) for status, path in changes)
