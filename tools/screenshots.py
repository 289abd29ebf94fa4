"""Take the screenshot of the app that each step's docs page shows.

    python tools/screenshots.py 02-auth [03-consumer ...]   # or simply 02 03

`nox -s screenshots` runs this in an environment with the step's requirements and
playwright. For each step it copies steps/NN-name to a temporary directory (the step
stays untouched and gets a fresh SQLite database), runs `migrate` and `seed_demo`,
serves the copy with `manage.py runserver` on a free loopback port (Daphne from step 03
on) and drives Chromium with Playwright: Alice and Bob talk in the lobby through the
page's own form, and Alice's window becomes docs/assets/screenshots/NN-name.png.

docs/assets/screenshots/sources.json records a hash of what each picture shows, and
`nox -s check` fails when a step no longer matches it. The hash covers the step's
templates/ and static/, which draw what a visitor sees, plus the scene below: the
window size and the conversation. (Hashing the Python code too would ask for a new
picture after every fix of a consumer, which changes no pixel.)
"""

import argparse
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import helpers
import stepdiff

ROOT = stepdiff.ROOT
SCREENSHOTS = Path("docs/assets/screenshots")  # relative to the repository
SOURCES = SCREENSHOTS / "sources.json"

# The same for every step, so the pictures line up page after page. About the width of
# the docs' content column, at 1x: about 50 KB a picture, and light on git history.
VIEWPORT = {"width": 860, "height": 600}

# Per step: what Alice and Bob say, in order, and what Alice is typing when the picture
# is taken. Short lines, so that no message wraps.
SCENES = {
    "01": {
        "conversation": [
            ("alice", "Hi! Is anyone in the lobby?"),
            ("bob", "Bob here. I only saw your message when I reloaded."),
            ("alice", "Plain Django: new messages need a reload."),
            ("bob", "And anyone could call themselves Alice…"),
            ("alice", "Accounts come in step 02, websockets in 03."),
        ],
        "draft": "Reloading again…",
    },
    "02": {
        "conversation": [
            ("alice", "Logged in for real this time."),
            ("bob", "Same here. The lobby is for members only now."),
            ("alice", "New people join with the room's invite link."),
            ("bob", "And nobody else can post as you."),
            ("alice", "Still need to reload to see you, though."),
        ],
        "draft": "Step 03 fixes that…",
    },
    "03": {
        "conversation": [
            ("alice", "Bob, are you seeing this live?"),
            ("bob", "Yes! It came over the websocket, no reload."),
            ("alice", "And the list on the right shows who is here."),
            ("bob", "chat.js builds each message with textContent."),
            ("alice", "So nobody can sneak HTML into the page."),
        ],
        "draft": "Next: htmx, and chat.js goes away…",
    },
    "04": {
        "conversation": [
            ("alice", "Morning Bob! chat.js is gone."),
            ("bob", "htmx swaps the server's HTML straight in."),
            ("alice", "Rendered once, from the same _message.html."),
            ("bob", "And the dot up there says we're connected."),
            ("alice", "If it drops, we catch up on what we missed."),
        ],
        "draft": "Redis workers are next…",
    },
    "05": {
        "conversation": [
            ("alice", "Workers answer slash commands now."),
            ("bob", "/roll 2d6"),
            ("alice", "Redis carries it between the processes."),
            ("bob", "And each message has its number in the room."),
            ("alice", "A page that misses one asks for it again."),
        ],
        "draft": "/who",
    },
    "06": {
        "conversation": [
            ("alice", "Hello from behind nginx!"),
            ("bob", "I'm on the other Daphne, and Redis carries it."),
            ("alice", "Pages come from uWSGI, static files from nginx."),
            ("bob", "/roll 1d20"),
            ("alice", "Same code on a laptop, in containers or a server."),
        ],
        "draft": "Ship it…",
    },
}

TIMEOUT_MS = 10_000


def scene(step):
    """The scene of a step (`02-auth`), or None if it has none yet."""
    return SCENES.get(step.split("-")[0])


def step_hash(step_dir, step):
    """sha256 of what a step's screenshot shows: its templates, static files and scene."""
    digest = hashlib.sha256(json.dumps([VIEWPORT, scene(step)]).encode())
    for rel in sorted(stepdiff.step_files(step_dir)):
        if not rel.startswith(("templates/", "static/")):
            continue
        # A Windows checkout (git's autocrlf) shows the same page: hash it the same.
        data = (Path(step_dir) / rel).read_bytes().replace(b"\r\n", b"\n")
        digest.update(f"{rel}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def recorded_hashes(root=ROOT):
    """{step: hash} from sources.json: what each screenshot was made from."""
    path = root / SOURCES
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def record_hash(root, step, digest):
    hashes = recorded_hashes(root) | {step: digest}
    (root / SOURCES).write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n")


def step_env(step_dir, port):
    """The environment that serves the copy on `port`: the step's own settings, and
    from step 05 a private Redis; step 06 says itself what its stack needs."""
    env = dict(os.environ, PORT=str(port))
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the step's own settings, whatever the shell says
    if (step_dir / "deploy/local.py").is_file():
        local = [sys.executable, "deploy/local.py", str(port), str(step_dir.parent)]
        env |= json.loads(
            subprocess.run(local, cwd=step_dir, check=True, capture_output=True).stdout
        )
        env["DJANGO_STATIC_ROOT"] = str(step_dir.parent / "static")
    elif (step_dir / "Procfile").is_file():
        env["REDIS_PORT"] = str(helpers.free_port())
        env["REDIS_URL"] = f"redis://127.0.0.1:{env['REDIS_PORT']}/0"
    return env


def in_copy(step_dir, log, env):
    """How a command runs in the copy: its output goes to the log, shown if anything fails."""
    return {"cwd": step_dir, "env": env, "stdin": subprocess.DEVNULL, "stdout": log,
            "stderr": subprocess.STDOUT}  # fmt: skip


def manage(step_dir, log, env, *args):
    """Run manage.py in the copy, to the end."""
    command = [sys.executable, "manage.py", *args]
    if subprocess.run(command, **in_copy(step_dir, log, env)).returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed")


@contextmanager
def served(step_dir, log, env):
    """Serve the copy; yield its URL; always stop the server."""
    port = int(env["PORT"])
    if (step_dir / "Procfile").is_file():  # from step 05: Redis and workers too
        server = [sys.executable, "-m", "honcho", "start"]
    else:
        server = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    with helpers.serving(server, port, **in_copy(step_dir, log, env)):
        yield f"http://127.0.0.1:{port}"


def demo_password(step_dir):
    """seed_demo's DEMO_PASSWORD, read without importing Django; None in step 01."""
    source = (step_dir / "chat/management/commands/seed_demo.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "DEMO_PASSWORD" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    return None


def launch_chromium(playwright):
    """Debian's /usr/bin/chromium needs no download; None means Playwright's own browser."""
    try:
        return playwright.chromium.launch(
            executable_path=helpers.chromium(), args=helpers.CHROMIUM_ARGS
        )
    except Exception as error:
        raise SystemExit(f"Could not start Chromium ({error}): {helpers.CHROMIUM_HINT}") from error


def enter(browser, url, name, password):
    """A window for one person, in the lobby: logged in, or with a display name (step 01)."""
    page = browser.new_context(viewport=VIEWPORT, color_scheme="light").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    if password is None:
        page.goto(f"{url}/rooms/lobby/")
        page.get_by_role("link", name="Pick a display name").first.click()
        page.fill("#id_name", name.title())  # the way a visitor would type it
        page.get_by_role("button", name="Save").click()
    else:
        page.goto(f"{url}/accounts/login/")
        page.fill("#id_username", name)
        page.fill("#id_password", password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{url}/")
        page.goto(f"{url}/rooms/lobby/")
    page.wait_for_url(f"{url}/rooms/lobby/")
    return page


def act(url, step, password):
    """Play the step's scene in Chromium and return Alice's window as PNG bytes."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            pages = {name: enter(browser, url, name, password) for name in ("alice", "bob")}
            alice = pages["alice"]
            # From step 03 the room page is live (the design's #presence): wait until
            # both sockets are open and each person sees the other.
            live = alice.locator("#presence").count() > 0
            if live:
                for page in pages.values():
                    expect(page.locator("#status")).to_have_text("connected")
                    expect(page.locator("#presence li")).to_have_count(2)
            for name, text in scene(step)["conversation"]:
                page = pages[name]
                if not live:
                    page.reload()  # before step 03, people reload to see replies
                page.fill("#id_body", text)
                page.get_by_role("button", name="Send").click()
                for reader in pages.values() if live else [page]:
                    expect(reader.locator("#messages")).to_contain_text(text)
            if not live:
                alice.reload()
            alice.fill("#id_body", scene(step)["draft"])
            return alice.screenshot(animations="disabled")
        finally:
            browser.close()


def screenshot(step, root=ROOT):
    """Make docs/assets/screenshots/<step>.png and record what it was made from."""
    if scene(step) is None:
        raise SystemExit(f"steps/{step} has no scene yet: add one to SCENES in {__file__}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"backchat-{step}-") as tmp:
        Path(tmp).chmod(0o755)  # step 06: nginx's workers run as "nobody" under root
        step_dir = Path(tmp) / step
        shutil.copytree(
            root / "steps" / step, step_dir, ignore=shutil.ignore_patterns(*stepdiff.IGNORED)
        )
        # Hash the copy: it is what the picture shows, even if steps/ changes meanwhile.
        digest = step_hash(step_dir, step)
        log_path = Path(tmp) / "server.log"
        with open(log_path, "w") as log:
            try:
                env = step_env(step_dir, helpers.free_port())
                if (step_dir / "deploy").is_dir():  # step 06: nginx serves collected files
                    manage(step_dir, log, env, "collectstatic", "--no-input", "--verbosity=0")
                manage(step_dir, log, env, "migrate", "--verbosity=0")
                manage(step_dir, log, env, "seed_demo")
                with served(step_dir, log, env) as url:
                    png = act(url, step, demo_password(step_dir))
            except Exception:  # show what the server said; Ctrl-C needs no log
                log.flush()
                print(f"--- output of manage.py for {step} ---\n{log_path.read_text()[-4000:]}")
                raise
    out = root / SCREENSHOTS / f"{step}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png)
    record_hash(root, step, digest)
    seconds = time.monotonic() - started
    print(f"wrote {out.relative_to(root)} ({len(png) // 1024} KiB) in {seconds:.1f} s")


def find_steps(args, root=ROOT):
    """Step names for `02`, `2` or `02-auth`; exits on an unknown one."""
    try:
        return [helpers.find_step(arg, root) for arg in args]
    except ValueError as error:
        raise SystemExit(str(error)) from None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="+", help="steps to photograph: 02 or 02-auth")
    for step in find_steps(parser.parse_args(argv).steps):
        screenshot(step)
    return 0


if __name__ == "__main__":
    sys.exit(main())
