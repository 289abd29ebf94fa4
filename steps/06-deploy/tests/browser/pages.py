"""What the browser tests share: pages driven the way a user drives them, and the
test database looked at from outside, as the servers see it."""

import subprocess
import sys

from playwright.sync_api import expect

from chat.management.commands.seed_demo import DEMO_PASSWORD

from ..processes import STEP_DIR

# What a test awaits on a page gets 30 s, as Playwright's actions do (its expect()
# would give 5 s): ample on a slow, busy laptop; a passing test never waits it out.
expect.set_options(timeout=30_000)
# A page that lost its server tries again after a growing delay, up to 5 s: after an
# outage, "connected" may come that much later, and later still on a busy machine.
RECONNECT = 90_000


def logged_in_page(browser, url, username, password=DEMO_PASSWORD):
    """A page in a browser context of its own (its own cookies), logged in at url."""
    page = browser.new_context().new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def open_lobby(page, server):
    page.goto(f"{server.url}/rooms/lobby/")
    expect(page.locator("#status")).to_have_text("connected")


def send(page, text):
    page.fill("#id_body", text)
    page.press("#id_body", "Enter")
    expect(page.locator("#id_body")).to_have_value("")  # the form clears itself


def run_django(env, code):
    """Run Python code against the test database from a separate process; its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity=0", "-c", code],
        cwd=STEP_DIR,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return result.stdout


def count_messages(env, body):
    """How many messages with this body the test database holds."""
    code = f"from chat.models import Message; print(Message.objects.filter(body={body!r}).count())"
    return int(run_django(env, code))
