"""Carry a fix from one step into every later step that shares the code.

Fix the bug in the earliest step that has it, leave the change uncommitted, then:

    python tools/carry.py 02 --dry-run   # which later steps would take the change?
    python tools/carry.py 02             # apply it to steps 03, 04, ...

The change is `git diff HEAD -- steps/02-auth` (staged and unstaged edits; make
new files visible first with `git add -N path`). Its paths are rewritten for each
later step and applied with `git apply --3way`, which merges with that step's own
version of the file where the lines around the fix differ. Each step is reported
as applied, conflict (fix the conflict markers left in the file) or not applied
(for example when that step no longer has the file). `--dry-run` only runs
`git apply --check`.

`git apply --3way` stages what it applies, so review the result with
`git diff --cached`. Afterwards run the tests of every step you touched, the
checks and the docs build (`nox`).
"""

import argparse
import subprocess
import sys

import helpers
import stepdiff

ROOT = stepdiff.ROOT


def git(*args, stdin=None):
    return subprocess.run(
        ["git", *args], cwd=ROOT, input=stdin, capture_output=True, text=True, check=False
    )


def retarget(patch, old, new):
    """Rewrite the file paths in a git patch from steps/<old>/ to steps/<new>/.

    Only the header lines of each file are touched, never the changed lines.
    """
    lines = []
    in_header = False
    for line in patch.splitlines(keepends=True):
        if line.startswith("diff --git "):
            in_header = True
        elif line.startswith(("@@", "GIT binary patch")):
            in_header = False
        if in_header:
            line = line.replace(f"steps/{old}/", f"steps/{new}/")
        lines.append(line)
    return "".join(lines)


def apply(patch, dry_run):
    """Apply (or only check) one step's patch; return (status, git's result)."""
    if dry_run:
        result = git("apply", "--check", "-", stdin=patch)
        if result.returncode == 0:
            return "would apply cleanly", result
        result = git("apply", "--check", "--3way", "-", stdin=patch)
        if result.returncode == 0:
            return "needs a 3-way merge, which may conflict", result
        return "would NOT apply", result
    result = git("apply", "--3way", "-", stdin=patch)
    if result.returncode == 0:
        return "applied", result
    if "with conflicts" in result.stderr:
        return "CONFLICT: fix the conflict markers, then `git add` the files", result
    return "NOT applied", result


def carry(source, targets, dry_run=False):
    """Apply the uncommitted change of steps/<source> to each target; True if all applied."""
    patch = git("diff", "--binary", "HEAD", "--", f"steps/{source}").stdout
    if not patch:
        print(f"Nothing to carry: steps/{source} has no uncommitted changes.")
        print("(New files need `git add -N PATH` to show up in `git diff`.)")
        return False
    all_ok = True
    for target in targets:
        status, result = apply(retarget(patch, source, target), dry_run)
        print(f"{target}: {status}")
        if result.returncode != 0 and result.stderr.strip():
            print("    " + result.stderr.strip().replace("\n", "\n    "))
        all_ok = all_ok and result.returncode == 0
    return all_ok


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="See the module docstring (tools/carry.py) for the whole workflow.",
    )
    parser.add_argument("step", help="the step that holds the fix: 2, 02 or 02-auth")
    parser.add_argument("--dry-run", action="store_true", help="check only, change nothing")
    args = parser.parse_args(argv)
    try:
        source = helpers.find_step(args.step)
    except ValueError as error:
        sys.exit(str(error))
    steps = stepdiff.list_steps()
    later = steps[steps.index(source) + 1 :]
    if not later:
        print(f"steps/{source} is the last step: there is nowhere to carry the change.")
        return 0
    return 0 if carry(source, later, dry_run=args.dry_run) else 1


if __name__ == "__main__":
    sys.exit(main())
