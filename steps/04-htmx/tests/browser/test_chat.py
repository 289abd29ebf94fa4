import itertools
import re
import signal

import pytest
from playwright.sync_api import expect

from ..processes import Daphne
from .pages import RECONNECT, count_messages, open_lobby, run_django, send


def test_alice_and_bob_chat_both_ways_without_reloading(log_in, server):
    alice, bob = log_in("alice"), log_in("bob")
    for page in (alice, bob):
        open_lobby(page, server)
        page.evaluate("window.notReloaded = true")
    send(alice, "Hi Bob, can you see this?")
    expect(bob.locator("#messages")).to_contain_text("Hi Bob, can you see this?")
    send(bob, "Live, no reload!")
    expect(alice.locator("#messages")).to_contain_text("Live, no reload!")
    for page in (alice, bob):
        assert page.evaluate("window.notReloaded") is True


def test_the_copy_button_copies_the_invite_link_from_the_keyboard(log_in, server):
    alice = log_in("alice")
    alice.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    open_lobby(alice, server)
    link = alice.locator("#invite-link")
    expect(link).to_have_value(re.compile(r"/join/[\w-]{22}/$"))
    link.focus()
    alice.keyboard.press("Tab")
    expect(alice.locator("#copy-invite")).to_be_focused()
    alice.keyboard.press("Enter")
    expect(alice.locator("#copy-status")).to_have_text("Copied")
    assert alice.evaluate("navigator.clipboard.readText()") == link.input_value()


def test_refused_message_goes_back_into_the_input(log_in, server):
    alice = log_in("alice")
    open_lobby(alice, server)
    too_long = "x" * 1001
    # The input's maxlength stops people typing this much; scripts are not stopped.
    alice.evaluate("document.getElementById('id_body').removeAttribute('maxlength')")
    alice.fill("#id_body", too_long)
    alice.press("#id_body", "Enter")
    expect(alice.locator("#chat-error")).to_contain_text("at most 1000 characters")
    expect(alice.locator("#id_body")).to_have_value(too_long)


def test_idle_socket_stays_open(log_in, server):
    alice, bob = log_in("alice"), log_in("bob")
    open_lobby(alice, server)
    open_lobby(bob, server)
    alice.evaluate(
        """() => {
            window.closes = 0
            document.body.addEventListener("htmx:wsClose", () => window.closes++)
        }"""
    )
    alice.wait_for_timeout(13_000)  # longer than the 5 s socket timeouts that bite Redis users
    send(bob, "still there after a quiet spell?")
    expect(alice.get_by_text("still there after a quiet spell?")).to_have_count(1)
    assert alice.evaluate("window.closes") == 0


def test_html_in_a_message_shows_as_text(log_in, server):
    alice, bob = log_in("alice"), log_in("bob")
    open_lobby(alice, server)
    open_lobby(bob, server)
    attack = '<img src=x onerror="document.title=\'pwned\'"><b id="presence">x</b>'
    send(alice, attack)
    last = bob.locator("#messages .message p").last
    expect(last).to_have_text(attack)
    assert bob.locator("#messages img").count() == 0
    assert bob.title() != "pwned"
    expect(bob.locator("#presence li")).to_have_text(["alice", "bob"])


def test_hidden_tab_counts_unread_messages_in_its_title(log_in, server):
    alice, bob = log_in("alice"), log_in("bob")
    open_lobby(alice, server)
    open_lobby(bob, server)
    title = alice.title()
    # Headless tabs are never hidden: pretend, as the browser does when you switch tabs.
    alice.evaluate("Object.defineProperty(document, 'hidden', {value: true, configurable: true})")
    send(bob, "one")
    send(bob, "two")
    expect(alice).to_have_title(f"(2) {title}")
    alice.evaluate(
        """() => {
            Object.defineProperty(document, "hidden", {value: false, configurable: true})
            document.dispatchEvent(new Event("visibilitychange"))
        }"""
    )
    expect(alice).to_have_title(title)


def test_presence_follows_people_in_and_out(log_in, server):
    alice, bob = log_in("alice"), log_in("bob")
    open_lobby(bob, server)
    expect(bob.locator("#presence li")).to_have_text(["bob"])
    open_lobby(alice, server)
    expect(bob.locator("#presence li")).to_have_text(["alice", "bob"])
    alice.close()
    expect(bob.locator("#presence li")).to_have_text(["bob"])


def test_page_catches_up_after_a_server_restart(log_in, server, env):
    alice, bob = log_in("alice"), log_in("bob")
    open_lobby(alice, server)
    open_lobby(bob, server)
    server.stop()
    expect(alice.locator("#status")).to_have_text("reconnecting")
    # While the server is down, messages arrive another way (another server, the admin...).
    run_django(
        env,
        "from chat.models import Message, Room; from accounts.models import User; "
        "room = Room.objects.get(slug='lobby'); bob = User.objects.get(username='bob'); "
        "[Message.objects.create(room=room, author=bob, body=f'sent during the outage {n}') "
        "for n in (1, 2)]",
    )
    server.start()
    expect(alice.locator("#status")).to_have_text("connected", timeout=RECONNECT)
    for n in (1, 2):
        expect(alice.get_by_text(f"sent during the outage {n}")).to_have_count(1)
    expect(bob.locator("#status")).to_have_text("connected", timeout=RECONNECT)
    send(bob, "back online")
    expect(alice.get_by_text("back online")).to_have_count(1)
    expect(alice.get_by_text("sent during the outage 1")).to_have_count(1)  # no duplicates


def test_non_member_cannot_connect(browser, server):
    page = browser.new_page()
    page.goto(f"{server.url}/accounts/signup/")
    page.fill("#id_username", "carol")
    page.fill("#id_password1", "a-long-passphrase")
    page.fill("#id_password2", "a-long-passphrase")
    page.click("button[type=submit]")
    response = page.goto(f"{server.url}/rooms/lobby/")
    assert response.status == 404  # the same as for a room that does not exist
    close_code = page.evaluate(
        """() => new Promise((resolve) => {
            const socket = new WebSocket(`ws://${location.host}/ws/rooms/lobby/`)
            socket.onclose = (event) => resolve(event.code)
        })"""
    )
    assert close_code == 4404
    page.close()


@pytest.fixture
def short_lived_server(env, logs):
    """Daphne closing every websocket with 1000 after 3 seconds, as its timeout does."""
    server = Daphne(logs, env, "--websocket_timeout", "3")
    server.start()
    yield server
    server.stop()


def test_socket_closed_with_1000_reconnects(log_in, short_lived_server):
    alice = log_in("alice", at=short_lived_server)
    open_lobby(alice, short_lived_server)
    alice.evaluate(
        """() => {
            const status = document.getElementById("status")
            window.states = []
            new MutationObserver(() => window.states.push(status.dataset.state))
                .observe(status, {attributes: true})
        }"""
    )
    alice.wait_for_function("window.states.includes('reconnecting')")
    expect(alice.locator("#status")).to_have_text("connected", timeout=RECONNECT)
    send(alice, "still alive")
    expect(alice.get_by_text("still alive")).to_have_count(1)


def test_send_while_disconnected_says_so_and_sends_nothing_later(log_in, server, env):
    alice = log_in("alice")
    open_lobby(alice, server)
    server.stop()
    expect(alice.locator("#status")).to_have_text("reconnecting")
    alice.fill("#id_body", "typed while offline")
    for _ in range(3):
        alice.press("#id_body", "Enter")
    expect(alice.locator("#chat-error")).to_have_text("Not connected: your message was not sent.")
    expect(alice.locator("#id_body")).to_have_value("typed while offline")
    server.start()
    expect(alice.locator("#status")).to_have_text("connected", timeout=RECONNECT)
    alice.press("#id_body", "Enter")  # once connected, the text is still there to send
    expect(alice.get_by_text("typed while offline")).to_have_count(1)
    expect(alice.locator("#chat-error")).to_have_text("")
    assert count_messages(env, "typed while offline") == 1


@pytest.fixture
def crashing_server(env, logs):
    """The site, but every websocket closes with 1011 as soon as it opens."""
    server = Daphne(logs, env, app="tests.browser.flaky:application")
    server.start()
    yield server
    server.stop()


def test_reconnects_wait_longer_each_time(log_in, crashing_server):
    alice = log_in("alice", at=crashing_server)
    alice.add_init_script(
        """window.connects = []
        document.addEventListener("htmx:wsConnecting", () => connects.push(performance.now()))"""
    )
    alice.goto(f"{crashing_server.url}/rooms/lobby/")
    expect(alice.locator("#status")).to_have_text("reconnecting")
    alice.wait_for_function("window.connects.length >= 4")
    times = alice.evaluate("window.connects")
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # At least half of a doubling delay each time: 0.5 s, then 1 s, then 2 s.
    assert [gap >= 500 * 2**n for n, gap in enumerate(gaps[:3])] == [True] * 3, gaps


def test_logging_out_in_another_tab_closes_the_socket(log_in, server):
    alice = log_in("alice")
    open_lobby(alice, server)
    other_tab = alice.context.new_page()
    other_tab.goto(f"{server.url}/")
    other_tab.get_by_role("button", name="Log out").click()
    expect(alice.locator("#status")).to_have_text("disconnected")
    expect(alice.locator("#chat-error")).to_have_text("You are logged out. Log in again to chat.")
    expect(alice.locator("#presence li")).to_have_count(0)  # nobody is known to be here now
    alice.fill("#id_body", "am I still here?")
    alice.press("#id_body", "Enter")
    expect(alice.locator("#id_body")).to_have_value("am I still here?")
    alice.get_by_role("link", name="Log in again").click()  # back to this room afterwards
    expect(alice).to_have_url(f"{server.url}/accounts/login/?next=/rooms/lobby/")


@pytest.fixture
def admin(env):
    run_django(
        env,
        "from accounts.models import User; "
        "User.objects.filter(username='admin').exists() or "
        "User.objects.create_superuser('admin', password='an-admin-passphrase')",
    )
    yield "admin", "an-admin-passphrase"
    # Put alice back in the lobby for the other tests.
    run_django(
        env,
        "from chat.models import Room; from accounts.models import User; "
        "Room.objects.get(slug='lobby').members.add(User.objects.get(username='alice'))",
    )


def test_a_member_removed_by_an_admin_is_disconnected(log_in, server, admin):
    alice = log_in("alice")
    open_lobby(alice, server)
    username, password = admin
    admin_page = log_in(username, password)
    admin_page.goto(f"{server.url}/admin/chat/room/")
    admin_page.get_by_role("link", name="Lobby").click()
    admin_page.locator("#id_members_to option", has_text="alice").dblclick()
    admin_page.locator("input[name=_save]").click()
    expect(admin_page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(alice.locator("#status")).to_have_text("disconnected")
    expect(alice.locator("#chat-error")).to_have_text("You were removed from this room.")


def test_a_flood_is_cut_off_for_good(log_in, server):
    alice = log_in("alice")
    open_lobby(alice, server)
    # 10 frames pass, the next 10 get a warning, the one after closes the socket. All
    # sent at once by the page: one by one from the test, they could spread out past
    # the 10-second window on a busy machine.
    alice.evaluate(
        """() => {
            const body = document.getElementById("id_body")
            for (let n = 0; n < 21; n++) {
                body.value = `flood ${n}`
                body.form.requestSubmit()
            }
        }"""
    )
    expect(alice.locator("#status")).to_have_text("disconnected")
    expect(alice.locator("#chat-error")).to_contain_text("You sent too many messages")
    expect(alice.locator("#presence li")).to_have_count(0)
    expect(alice.locator("#messages .message p", has_text="flood")).to_have_count(10)


def test_the_status_is_announced_on_its_own_and_moves_nothing(log_in, server):
    alice = log_in("alice")
    open_lobby(alice, server)
    expect(alice.get_by_role("heading", level=1)).to_have_text("Lobby")
    status = alice.locator("#status")  # the page's other status region is the copy button's
    expect(status).to_have_role("status")
    expect(status).to_have_text("connected")
    room_top = alice.locator(".room-body").bounding_box()["y"]
    server.stop()
    try:
        expect(status).to_have_text("reconnecting")
        assert alice.locator(".room-body").bounding_box()["y"] == room_top
    finally:
        server.start()
    expect(status).to_have_text("connected", timeout=RECONNECT)


@pytest.fixture
def server_that_crashes_once(env, logs):
    """The site, but the first websocket takes one frame and fails without answering."""
    server = Daphne(logs, env, app="tests.browser.flaky:crash_on_first_frame")
    server.start()
    yield server
    server.stop()


def test_a_message_lost_in_a_crash_comes_back_into_the_input(log_in, server_that_crashes_once):
    alice = log_in("alice", at=server_that_crashes_once)
    open_lobby(alice, server_that_crashes_once)
    alice.fill("#id_body", "lost in the crash")
    alice.press("#id_body", "Enter")
    expect(alice.locator("#chat-error")).to_contain_text("Your unsent message is back in the box.")
    expect(alice.locator("#id_body")).to_have_value("lost in the crash")
    expect(alice.locator("#status")).to_have_text("connected", timeout=RECONNECT)
    alice.press("#id_body", "Enter")  # the next socket works
    expect(alice.get_by_text("lost in the crash")).to_have_count(1)


def test_a_frozen_server_is_given_up_on_and_the_message_comes_back(log_in, server):
    alice = log_in("alice")
    open_lobby(alice, server)
    server.process.send_signal(signal.SIGSTOP)  # alive, but answers nothing
    try:
        send(alice, "into the void")
        # The page's deadline for an answer is 10 s.
        expect(alice.locator("#status")).to_have_text("reconnecting", timeout=30_000)
        expect(alice.locator("#id_body")).to_have_value("into the void")
        expect(alice.locator("#chat-error")).to_contain_text("The server did not answer")
    finally:
        server.process.send_signal(signal.SIGCONT)
    expect(alice.locator("#status")).to_have_text("connected", timeout=RECONNECT)


def test_a_page_is_back_soon_after_its_server(log_in, server):
    alice = log_in("alice")
    alice.add_init_script(
        """window.connects = 0
        document.addEventListener("htmx:wsConnecting", () => connects++)"""
    )
    open_lobby(alice, server)
    # Every delay the page picks before a retry, as the ws extension asks for it.
    alice.evaluate(
        """() => {
            const pick = htmx.config.wsReconnectDelay
            window.delays = []
            htmx.config.wsReconnectDelay = (...args) => {
                const delay = pick(...args)
                window.delays.push(delay)
                return delay
            }
        }"""
    )
    server.stop()
    try:
        # Enough failed attempts that the delays have reached their ceiling.
        alice.wait_for_function("window.connects >= 6", timeout=RECONNECT)
    finally:
        server.start()
    # The ceiling is 5 s: a page does not wait 15-30 s, as with a ceiling of 30 s.
    assert 0 < max(alice.evaluate("window.delays")) <= 5000
    expect(alice.locator("#status")).to_have_text("connected", timeout=RECONNECT)
