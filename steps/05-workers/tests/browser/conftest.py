"""Real Daphne servers, workers and Redis on free loopback ports, and a real Chromium
driven by Playwright.

Run these tests in a pytest process of their own, apart from the rest: `pytest tests/browser`.
"""

import os
import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import sync_playwright

from chat.management.commands.seed_demo import DEMO_PASSWORD

from ..processes import STEP_DIR, Daphne, django_env, manage
from .pages import logged_in_page

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
    database = tmp_path_factory.mktemp("db") / "browser.sqlite3"
    env = django_env(redis, database, DJANGO_SETTINGS_MODULE="tests.browser.settings")
    for command in (["migrate", "--verbosity=0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=STEP_DIR, env=env, check=True)
    return env


@pytest.fixture(scope="session")
def workers(env, logs):
    """The workers and the clock, as in the Procfile, on the browser tests' database."""
    processes = {
        "worker": manage("worker", logs, env, "runworker", "chat-commands", "chat-presence"),
        "reports": manage("reports", logs, env, "runworker", "chat-reports"),
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
