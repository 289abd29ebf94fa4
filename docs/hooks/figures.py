"""Figures measured from the repository at build time, so the pages never state stale ones.

In a page's Markdown (outside code blocks), these placeholders are replaced:

    {{ lines steps/04-htmx/static/js/htmx-backchat.js }}    the file's lines (like wc -l)
    {{ changes 05-workers }}    the files the step adds, changes and removes since the
                                previous step, as a list: the code, then the tests
    {{ time 03-consumer }}    the step's time on both tracks: its slot in the review's
                              plan (docs/instructor.md) and its full-day budget
    {{ typealong }}    the full-day plan: per step, the files and lines attendees type
                       and copy, and the time budget that follows from them
    {{ typealong 03 }}    step 03's typed files, in order, with their lines and the
                          instructor guide's words on each (from TYPED)

What attendees type in each step is TYPED below; everything else that a step adds or
changes, tests included, is copied. The budget counts, for each typed file, the lines
it adds or changes since the previous step (blank lines aside), at LINES_PER_MINUTE,
plus MINUTES_PER_FILE for each typed file and MINUTES_PER_STEP for running the step,
the demo and the tests; rounded up to 5 minutes. Those three rates are the plan's
assumptions, stated on the page; the counts come from the files.

A typed file that a step does not have stops the build: the plan must follow the code.
Registered in mkdocs.yml under ``hooks:``.
"""

import difflib
import importlib.util
import math
import re
from pathlib import Path

# The files attendees type, per step, in the order of the walkthrough, each with what the
# instructor guide says about typing it (Markdown; `{{ typealong 03 }}` lists them).
TYPED = {
    "01-django": [
        ("backchat/settings.py", "`ALLOWED_HOSTS`, `\"chat\"` "
         "in `INSTALLED_APPS`, the `templates` directory in `TEMPLATES`, and "
         "`STATICFILES_DIRS`."),
        ("chat/models.py", "then `python manage.py makemigrations chat` and "
         "`python manage.py migrate`."),
        ("chat/forms.py", ""),
        ("chat/urls.py", ""),
        ("backchat/urls.py", "the `include(\"chat.urls\")`."),
        ("chat/views.py", ""),
        ("templates/chat/room_list.html", "copy the files below first: the templates' base "
         "and the site's style."),
        ("templates/chat/room_detail.html", ""),
        ("templates/chat/_message.html", ""),
    ],
    "02-auth": [
        ("accounts/models.py", "the empty `User`."),
        ("backchat/settings.py", "`\"accounts\"` in `INSTALLED_APPS`, `AUTH_USER_MODEL`, "
         "`LOGIN_URL`, `LOGIN_REDIRECT_URL`, `LOGOUT_REDIRECT_URL`."),
        ("accounts/forms.py", ""),
        ("accounts/views.py", "sign-up follows `?next=` on this site only."),
        ("accounts/urls.py", ""),
        ("backchat/urls.py", "the `accounts/` line."),
        ("chat/models.py", "`members`, `invite_code`, `get_invite_url()`, `author`. Then copy "
         "the files below, and run `python manage.py makemigrations accounts chat` and "
         "`python manage.py migrate`."),
        ("chat/forms.py", "the join form takes an invite link or its code."),
        ("chat/urls.py", "`join/<code>/`."),
        ("chat/views.py", "`login_required` everywhere, members only, the invite view. Then "
         "`seed_demo`, `runserver` and `python -m pytest`."),
    ],
    "03-consumer": [
        ("backchat/settings.py", "`\"daphne\"` first in `INSTALLED_APPS`, "
         "`ASGI_APPLICATION`, `CHANNEL_LAYERS`. `runserver` now says "
         "`Starting ASGI/Daphne version ... development server`."),
        ("backchat/asgi.py", ""),
        ("chat/routing.py", "its first route only: the catch-all `NoRouteConsumer` comes "
         "with the whole consumer."),
        ("chat/presence.py", ""),
        ("chat/consumers.py", "the heart of the step. Type the smallest consumer that opens "
         "the page first (keep step 02's `chat/apps.py` until revocation: step 03's loads "
         "signals that need the whole consumer), serve it and chat; then add the "
         "protections one section at a time, up to the whole file with its notes. Then "
         "copy `apps.py` and `signals.py` (above)."),
        ("chat/views.py", "the room page no longer takes a POST."),
        ("templates/chat/room_detail.html", "status, presence, the composer. Then "
         "`python -m pytest`."),
    ],
    "04-htmx": [
        ("templates/chat/room_detail.html", "`hx-ext=\"ws,backchat\"`, `ws-connect`, "
         "`ws-send`, the hidden `kind`."),
        ("templates/base.html", "the `htmx-config` meta tag."),
        ("chat/fragments.py", ""),
        ("templates/chat/ws/messages.html", ""),
        ("templates/chat/ws/presence.html", ""),
        ("templates/chat/ws/error.html", ""),
        ("chat/models.py", "`messages_after()`."),
        ("chat/consumers.py", "fragments instead of JSON, rendered once per message, and the "
         "catch-up from `?after=`."),
    ],
    "05-workers": [
        ("backchat/settings.py", "`REDIS_URL`, `CHANNEL_LAYERS` on Redis, `CACHES`, the "
         "SQLite `OPTIONS`, the four `CHAT_*` settings and `LOGGING`."),
        ("chat/models.py", """`last_seq`, `seq` and its constraint, `post()`, `Presence`, and
`recent_messages()`/`messages_after()` by number. Then copy the migration, which is
written by hand around what `makemigrations` makes, and migrate:
`cp "$S/chat/migrations/0002_message_numbers_and_presence.py" chat/migrations/`,
`python manage.py migrate`. Then copy what follows from the new models, explained on
the page:

```bash
cp "$S/chat/presence.py" "$S/chat/limits.py" "$S/chat/fragments.py" "$S/chat/views.py" chat/
cp "$S/templates/chat/_message.html" "$S/templates/chat/room_detail.html" templates/chat/
```"""),
        ("chat/workers.py", "the heart of the step; take `CommandWorker` (sync, on both "
         "command channels) and `PresenceWorker` (async) with the page's notes. Copy "
         "`chat/commands.py` (the `COMMANDS` table and the commands themselves) first: "
         "`cp \"$S/chat/commands.py\" chat/`."),
        ("chat/routing.py", "`worker_channels`."),
        ("backchat/asgi.py", "the `\"channel\"` entry with `ChannelNameRouter`."),
        ("chat/consumers.py", "`room.post()` and `seq`, `run_command` and `hand_over`, "
         "`receive_sync`, presence through the worker, `chat_reply`."),
    ],
    "06-deploy": [
        ("backchat/settings.py", "its top (`env_flag`, `env_list`, the secret's check, "
         "`DJANGO_HTTPS`) and its `DATABASES` with `dj_database_url`, `STATIC_ROOT` and "
         "`STORAGES`. It is the one file of the step worth typing; everything else is "
         "copied."),
    ],
}  # fmt: skip
# Files that `startproject` writes in step 01: attendees edit a few of their lines.
EDITED_IN_STEP_01 = {"backchat/settings.py", "backchat/urls.py"}

LINES_PER_MINUTE = 4  # typed while listening: read the note, type, fix the typo
MINUTES_PER_FILE = 2  # open it, find the place, save, run what it needs
MINUTES_PER_STEP = 15  # run it, the demo, the tests, questions

PLACEHOLDER = re.compile(r"\{\{ (?P<name>lines|changes|time|typealong)(?: (?P<arg>[^\s}]+))? \}\}")
VERBS = {"A": "New", "M": "Changed", "D": "Removed"}


class FiguresError(Exception):
    """A placeholder that cannot be filled; the build stops."""


def load_stepdiff():
    """tools/stepdiff.py of this repository, loaded from its path (tools/ is not a package)."""
    tools = Path(__file__).resolve().parents[2] / "tools"
    spec = importlib.util.spec_from_file_location("stepdiff", tools / "stepdiff.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def count_lines(path):
    return len(path.read_text(encoding="utf-8").splitlines())


def new_lines(old, new):
    """Lines of `new` that `old` does not have at that place (blank lines aside)."""
    old_lines = old.read_text(encoding="utf-8").splitlines() if old.is_file() else []
    new_text = new.read_text(encoding="utf-8").splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_text, autojunk=False)
    return sum(
        1
        for tag, _, _, j1, j2 in matcher.get_opcodes()
        if tag in ("replace", "insert")
        for line in new_text[j1:j2]
        if line.strip()
    )


def typed_paths(step):
    return [path for path, _ in TYPED[step]]


def typed_counts(root, stepdiff, previous, step):
    """[(path, lines)] for the files typed in a step: the lines each adds or changes since
    the previous step, or None for an edit to what `startproject` wrote in step 01."""
    step_dir = root / "steps" / step
    old_dir = root / "steps" / previous if previous else None
    counts = []
    for path in typed_paths(step):
        if not (step_dir / path).is_file():
            raise FiguresError(f"docs/hooks/figures.py: steps/{step} has no {path} to type")
        if previous is None and path in EDITED_IN_STEP_01:
            counts.append((path, None))  # the per-file minutes cover these edits
        else:
            old = old_dir / path if old_dir else Path("/nonexistent")
            counts.append((path, new_lines(old, step_dir / path)))
    return counts


def step_plan(root, stepdiff, previous, step):
    """(typed files, typed lines, copied files, copied lines, minutes) for one step."""
    step_dir = root / "steps" / step
    old_dir = root / "steps" / previous if previous else None
    changes = (
        stepdiff.changed_files(old_dir, step_dir)
        if old_dir
        else [("A", path) for path in sorted(stepdiff.step_files(step_dir))]
    )
    changed = {path for status, path in changes if status != "D"}
    typed = typed_counts(root, stepdiff, previous, step)
    typed_lines = sum(lines or 0 for _, lines in typed)
    copied_files = copied_lines = 0
    for path in sorted(changed - set(typed_paths(step))):
        text = stepdiff.read_text(step_dir / path)
        if previous is None and path in ("manage.py", "backchat/asgi.py", "backchat/wsgi.py"):
            continue  # written by startproject
        copied_files += 1
        if text is not None and not stepdiff.is_vendored(path):
            copied_lines += len(text.splitlines())
    minutes = (
        MINUTES_PER_STEP + MINUTES_PER_FILE * len(typed) + math.ceil(typed_lines / LINES_PER_MINUTE)
    )
    return len(typed), typed_lines, copied_files, copied_lines, 5 * math.ceil(minutes / 5)


def typealong_table(root):
    """The full-day plan as a Markdown table, with its total."""
    stepdiff = load_stepdiff()
    steps = stepdiff.list_steps(root)
    rows = [
        "| Step | Attendees type | Lines typed | They copy | Budget |",
        "| ---- | -------------- | ----------: | --------- | -----: |",
    ]
    total = 0
    for previous, step in zip([None, *steps], steps, strict=False):
        if step not in TYPED:
            raise FiguresError(f"docs/hooks/figures.py: TYPED does not say what to type in {step}")
        files, lines, copied, copied_lines, minutes = step_plan(root, stepdiff, previous, step)
        total += minutes
        names = ", ".join(f"`{path}`" for path in typed_paths(step))
        copy = f"{copied} files ({copied_lines} lines, tests included)"
        rows.append(
            f"| [{step[:2]}](steps/{step}.md) | {files} file{'s' * (files > 1)}: {names} | {lines} "
            f"| {copy} | {minutes}' |"
        )
    rows.append(f"| | | | **Total, without breaks** | **{total}'** |")
    hours, minutes = divmod(total, 60)
    return "\n".join(rows) + (
        f"\n\nThat is {hours} h {minutes:02d} min of teaching, breaks not included. The "
        f"budget of a step is {MINUTES_PER_STEP} minutes to run it, demo it, run its tests "
        f"and take questions, {MINUTES_PER_FILE} minutes for each typed file (open it, find "
        f"the place, save, run what it needs), and a minute for every {LINES_PER_MINUTE} "
        f"lines typed while listening; rounded up to 5 minutes."
    )


def typealong_list(root, number, page_path):
    """One step's typed files as a numbered Markdown list: each file, the lines it adds or
    changes, and what the guide says about it; the same files and counts as the table."""
    stepdiff = load_stepdiff()
    steps = stepdiff.list_steps(root)
    step = next((s for s in steps if s.split("-")[0] == number), None)
    if step is None or step not in TYPED:
        raise FiguresError(f"{page_path}: {{{{ typealong {number} }}}}: no such step to type")
    previous = steps[steps.index(step) - 1] if steps.index(step) else None
    typed = typed_counts(root, stepdiff, previous, step)
    notes = dict(TYPED[step])
    total = sum(lines or 0 for _, lines in typed)
    since = f" new or changed since step {previous.split('-')[0]}" if previous else ""
    items = [
        f"**Attendees type** {len(typed)} file{'s' * (len(typed) > 1)}, {total} "
        f"line{'s' * (total != 1)}{since} (blank lines aside)"
        + (", in the order of the walkthrough:" if len(typed) > 1 else ":"),
        "",
    ]
    for index, (path, lines) in enumerate(typed, start=1):
        count = (
            "edits to what `startproject` wrote"
            if lines is None
            else f"{lines} line{'s' * (lines != 1)}"
        )
        note = notes[path].replace("\n", "\n    ")
        items.append(f"{index}. `{path}` ({count}){': ' + note if note else ''}")
        if "\n" in note:
            items.append("")  # a block in a note: the next item must not join it
    return "\n".join(items)


def changes_list(root, step, page_path):
    """The files a step adds, changes and removes, as a Markdown list: code, then tests."""
    stepdiff = load_stepdiff()
    steps = stepdiff.list_steps(root)
    if step not in steps or steps.index(step) == 0:
        raise FiguresError(f"{page_path}: {{{{ changes {step} }}}} needs a step after the first")
    previous = steps[steps.index(step) - 1]
    changes = stepdiff.changed_files(root / "steps" / previous, root / "steps" / step)
    items = []
    for tests in (False, True):
        for status in "AMD":
            paths = [
                f"`{path}`"
                for s, path in changes
                if s == status and (path.split("/")[0] == "tests") == tests
            ]
            if paths:
                what = f"{VERBS[status]} {'tests' if tests else 'files'}"
                items.append(f"- **{what}** ({len(paths)}): {', '.join(paths)}")
    return "\n".join(items)


def review_slot(root, step):
    """The step's length in the review's timing plan of docs/instructor.md, in minutes."""
    guide = (root / "docs/instructor.md").read_text(encoding="utf-8")
    row = re.search(
        rf"^\|[^|\n]*\|\s*(\d+)'\s*\|[^|\n]*\(steps/{re.escape(step)}\.md\)", guide, re.M
    )
    return int(row[1]) if row else None


def step_time(root, step, page_path):
    """ "about 40 minutes in the 3½-hour review, about 90 typing along"."""
    stepdiff = load_stepdiff()
    steps = stepdiff.list_steps(root)
    slot = review_slot(root, step)
    if step not in steps or step not in TYPED or slot is None:
        raise FiguresError(f"{page_path}: {{{{ time {step} }}}}: no such step in both plans")
    previous = steps[steps.index(step) - 1] if steps.index(step) else None
    budget = step_plan(root, stepdiff, previous, step)[4]
    return (
        f"about {slot} minutes in the 3½-hour review; about {budget} minutes typing "
        f"along, on the full day"
    )


def fill(markdown, root, page_path):
    def replace(match):
        if match["name"] == "typealong":
            if match["arg"]:
                return typealong_list(root, match["arg"], page_path)
            return typealong_table(root)
        if match["name"] == "time":
            return step_time(root, match["arg"] or "", page_path)
        if match["name"] == "changes":
            return changes_list(root, match["arg"] or "", page_path)
        path = root / (match["arg"] or "")
        if not match["arg"] or not path.is_file():
            raise FiguresError(f"{page_path}: {match[0]} names no file of the repository")
        return str(count_lines(path))

    return PLACEHOLDER.sub(replace, markdown)


def on_page_markdown(markdown, page, config, **kwargs):
    root = Path(config.config_file_path).parent
    return fill(markdown, root, page.file.src_uri)
