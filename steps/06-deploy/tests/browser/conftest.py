"""Real Daphne servers, workers and Redis on free loopback ports, and a real Chromium
driven by Playwright.

Run these tests in a pytest process of their own, apart from the rest: `pytest tests/browser`.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from chat.management.commands.seed_demo import DEMO_PASSWORD

from ..processes import WORKER, Daphne, django_env, manage

STEP_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS = STEP_DIR / "test-artifacts"


def chromium_executable():
    """Debian's /usr/bin/chromium needs no download; None means Playwright's own browser."""
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def logs(tmp_path_factory):
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def env(redis, tmp_path_factory):
    """Environment for every process that serves or changes the test database."""
    env = django_env(redis, tmp_path_factory.mktemp("db") / "browser.sqlite3")
    for command in (["migrate", "--verbosity=0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=STEP_DIR, env=env, check=True)
    return env


@pytest.fixture(scope="session")
def workers(env, logs):
    """The workers and the clock, as in the Procfile, on the browser tests' database."""
    processes = {
        "worker": manage("worker", logs, env, *WORKER, "chat-commands", "chat-presence"),
        "reports": manage("reports", logs, env, *WORKER, "chat-reports"),
        "tick": manage("tick", logs, env, "tick"),
    }
    try:
        for process in processes.values():
            process.start()
        yield processes
    finally:
        for process in processes.values():
            process.stop()


@pytest.fixture(scope="session")
def server(env, workers, logs):
    server = Daphne(logs, env)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    executable = chromium_executable()
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable)
        except Exception as error:
            pytest.fail(
                f"Could not start Chromium ({error}).\n"
                "Install it: `sudo apt-get install chromium` on Debian/Ubuntu/WSL, or\n"
                "`python -m playwright install chromium` elsewhere; or set CHROMIUM to its path."
            )
        yield browser
        browser.close()


def logged_in_page(browser, url, username, password=DEMO_PASSWORD):
    """A page in a browser context of its own (its own cookies), logged in at url."""
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


@pytest.fixture
def log_in(browser, server, request):
    """Opens a logged-in page per user; screenshots of every page are saved at the end."""
    pages = {}

    def log_in(username, password=DEMO_PASSWORD, at=server):
        pages[username] = logged_in_page(browser, at.url, username, password)
        return pages[username]

    yield log_in
    ARTIFACTS.mkdir(exist_ok=True)
    for username, page in pages.items():
        if not page.is_closed():
            page.screenshot(path=ARTIFACTS / f"{request.node.name}-{username}.png")
        page.context.close()


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
