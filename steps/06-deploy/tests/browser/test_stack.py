"""The whole stack through nginx, as it runs in production: nginx, uWSGI, two Daphnes,
the workers, the clock and Redis, from the project's own Procfile and config files, on
SQLite and on a private PostgreSQL."""

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from chat.management.commands.seed_demo import DEMO_PASSWORD

from ..processes import Postgres, Stack
from .pages import RECONNECT, logged_in_page, open_lobby, send


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(request, logs):
    """The stack on one database; the teardown checks that nothing is left running."""
    postgres = None
    if request.param == "postgres":
        postgres = Postgres()
        postgres.start()
        database_url = postgres.url
    else:
        database_url = f"sqlite:///{logs / 'stack.sqlite3'}"
    (logs / request.param).mkdir()
    stack = Stack(logs / request.param, database_url)
    try:
        for command in (["migrate", "-v0"], ["collectstatic", "--no-input", "-v0"], ["seed_demo"]):
            stack.manage(*command)
        stack.start()
        yield stack
    finally:
        stack.stop()
        if postgres:
            postgres.stop()
    assert all(process.process.poll() is not None for process in stack.processes.values())
    assert stack.still_listening() == []


@pytest.fixture
def enter(browser, stack):
    """A logged-in page through nginx, in the lobby."""
    contexts = []

    def enter(username):
        page = logged_in_page(browser, stack.url, username)
        contexts.append(page.context)
        open_lobby(page, stack)
        return page

    yield enter
    for context in contexts:
        context.close()


def connects(stack, name):
    return stack.processes[name].log.read_text().count("WSCONNECT /ws/rooms/lobby/")


def daphne_of(stack, enter, username):
    """Enter the lobby; which Daphne did nginx give the socket to?"""
    before = {name: connects(stack, name) for name in ("daphne1", "daphne2")}
    page = enter(username)
    [daphne] = [name for name, count in before.items() if connects(stack, name) > count]
    return page, daphne


def test_static_files_come_from_nginx_with_long_caching(stack):
    manifest = json.loads((Path(stack.env["DJANGO_STATIC_ROOT"]) / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/backchat.css"]
    assert re.fullmatch(r"css/backchat\.[0-9a-f]{12}\.css", hashed)
    with urllib.request.urlopen(f"{stack.url}/static/{hashed}") as response:
        assert response.status == 200
        assert response.headers["server"] == "nginx"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert hashed not in stack.processes["uwsgi"].log.read_text()  # Django never saw it


def test_pages_and_forms_go_to_uwsgi(stack, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.url}/accounts/signup/")
    page.fill("#id_username", "carol")
    page.fill("#id_password1", "a-long-passphrase")
    page.fill("#id_password2", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.url}/")
    expect(page.locator(".topbar")).to_contain_text("Signed in as carol")
    page.get_by_role("button", name="Log out").click()
    page.fill("#id_username", "carol")
    page.fill("#id_password", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.url}/")
    context.close()
    log = stack.processes["uwsgi"].log.read_text()
    assert "POST /accounts/signup/" in log
    assert "POST /accounts/login/" in log


def test_two_daphnes_share_a_room_through_redis(stack, enter):
    alice, alices_daphne = daphne_of(stack, enter, "alice")
    bob, bobs_daphne = daphne_of(stack, enter, "bob")
    assert {alices_daphne, bobs_daphne} == {"daphne1", "daphne2"}  # nginx took turns
    send(alice, "Hi Bob, from the other process")
    expect(bob.get_by_text("Hi Bob, from the other process")).to_have_count(1)
    send(bob, "Hi Alice, through Redis")
    expect(alice.get_by_text("Hi Alice, through Redis")).to_have_count(1)
    send(alice, "/roll 2d6")  # and the worker answers, through the same Redis
    expect(bob.locator("#messages .message p").last).to_have_text(re.compile(r"^/roll 2d6 → "))


def test_pages_of_a_dead_daphne_reconnect_and_miss_nothing(stack, enter):
    alice, alices_daphne = daphne_of(stack, enter, "alice")
    bob, bobs_daphne = daphne_of(stack, enter, "bob")
    assert alices_daphne != bobs_daphne
    stack.processes[alices_daphne].kill()  # no clean shutdown: a crash
    try:
        expect(alice.locator("#status")).to_have_text("reconnecting")
        for n in range(3):
            send(bob, f"while alice's server is down {n}")
        # nginx sends her new socket to the Daphne that is left: she catches up.
        expect(alice.locator("#status")).to_have_text("connected", timeout=RECONNECT)
        for n in range(3):
            expect(alice.get_by_text(f"while alice's server is down {n}")).to_have_count(1)
    finally:
        stack.start(alices_daphne)


# The same nginx whatever the database: one 65 s wait is enough.
@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_an_idle_socket_outlives_nginxs_default_timeout(stack, enter):
    alice, bob = enter("alice"), enter("bob")
    alice.evaluate(
        """() => {
            window.closes = 0
            document.body.addEventListener("htmx:wsClose", () => window.closes++)
        }"""
    )
    alice.wait_for_timeout(65_000)  # nginx's default proxy_read_timeout is 60 s
    send(bob, "still there after a minute?")
    expect(alice.get_by_text("still there after a minute?")).to_have_count(1)
    assert alice.evaluate("window.closes") == 0


def test_bad_input_through_nginx_gets_the_same_answers(stack, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.url}/")
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
    context.close()
    socket_url = stack.url.replace("http", "ws") + "/ws/rooms/lobby/"
    # Another origin: refused at the handshake, by Daphne behind nginx.
    with pytest.raises(InvalidStatus) as refused:
        connect(socket_url, additional_headers={"Origin": "http://evil.example", "Cookie": cookie})
    assert refused.value.response.status_code == 403
    headers = {"Origin": stack.url, "Cookie": cookie}
    with connect(socket_url, additional_headers=headers) as socket:
        socket.send("not json")
        assert error_of(socket) == "Frames must be valid JSON."
        socket.send(json.dumps({"kind": "message", "body": "x" * 1001}))
        assert error_of(socket) == "Ensure this value has at most 1000 characters (it has 1001)."
    with connect(socket_url.replace("lobby", "nowhere"), additional_headers=headers) as socket:
        assert close_code(socket) == 4404
    with connect(socket_url, additional_headers={"Origin": stack.url}) as socket:
        assert close_code(socket) == 4401  # no session cookie


def error_of(socket):
    """The text of the next error frame, past presence lists."""
    while True:
        envelope = json.loads(socket.recv(timeout=30))
        if 'id="chat-error"' in envelope["html"]:
            return re.sub(r"<[^>]+>", "", envelope["html"]).strip()


def close_code(socket):
    """Read until the server closes the socket: its close code."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            socket.recv(timeout=30)
    return closed.value.rcvd.code


def get(stack, path, headers=None):
    """A GET through nginx: the status and the headers, for any status."""
    request = urllib.request.Request(f"{stack.url}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_large_cookies_and_long_urls_reach_django(stack):
    # A browser sends every cookie of the site: others' 4 KB cookies must not break ours.
    status, _ = get(stack, "/accounts/login/", {"Cookie": f"big={'x' * 4000}; more={'y' * 3000}"})
    assert status == 200
    status, _ = get(stack, f"/accounts/login/?next=/{'x' * 7000}")
    assert status == 200
    # Past nginx's limits: its clear refusal, not a 502 from uWSGI.
    assert get(stack, "/accounts/login/", {"Cookie": f"big={'x' * 9000}"})[0] == 400
    assert get(stack, f"/accounts/login/?next=/{'x' * 9000}")[0] == 414


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_text_files_are_compressed(stack):
    manifest = json.loads((Path(stack.env["DJANGO_STATIC_ROOT"]) / "staticfiles.json").read_text())
    for name in ("css/backchat.css", "js/htmx-backchat.js"):
        path = f"/static/{manifest['paths'][name]}"
        status, headers = get(stack, path, {"Accept-Encoding": "gzip"})
        assert (status, headers["content-encoding"]) == (200, "gzip"), name
        assert headers["vary"] == "Accept-Encoding"
        assert get(stack, path)[1]["content-encoding"] is None  # for clients that cannot


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_a_client_cannot_choose_the_address_daphne_logs(stack):
    logs = [stack.processes[name].log for name in ("daphne1", "daphne2")]
    before = sum(connects(stack, name) for name in ("daphne1", "daphne2"))
    headers = {"Origin": stack.url, "X-Forwarded-For": "6.6.6.6"}
    with connect(stack.url.replace("http", "ws") + "/ws/rooms/lobby/", additional_headers=headers):
        pass
    deadline = time.monotonic() + 10
    while sum(connects(stack, name) for name in ("daphne1", "daphne2")) == before:
        assert time.monotonic() < deadline, "no Daphne logged the handshake within 10 s"
        time.sleep(0.1)
    text = "".join(log.read_text() for log in logs)
    assert "6.6.6.6" not in text
    assert re.search(r"^127\.0\.0\.1:\d+ .*WSCONNECT /ws/rooms/lobby/", text, re.M)
