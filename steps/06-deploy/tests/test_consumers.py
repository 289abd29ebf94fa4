import asyncio
import copy
import json
import signal
import sys
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client

from backchat.asgi import application
from chat import consumers, limits
from chat.consumers import CATCH_UP_LIMIT, ChatConsumer
from chat.models import Message, Presence, Room

from .processes import Redis
from .websockets import (
    WAIT,
    assert_closed_with,
    assert_nothing_but_presence,
    bodies,
    handshake,
    htmx_payload,
    join,
    log_in,
    open_socket,
    presence_becomes,
    receive_error,
    receive_messages,
    receive_presence,
    receive_sent,
    receive_swap,
    swaps_into,
)

# The presence lists and the answers to commands come from the real workers.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("workers")]

User = get_user_model()


@pytest.fixture(autouse=True)
def nobody_left_behind(transactional_db):
    """Every way a socket ends must undo what it did: no presence row stays behind."""
    yield
    assert not Presence.objects.exists()


async def post(room, author, body):
    return await database_sync_to_async(room.post)(author, body)


# Who may connect


async def test_anonymous_visitor_is_closed_with_4401(room):
    await assert_closed_with(await open_socket(user=None), 4401)


async def test_missing_room_and_someone_elses_room_both_close_with_4404(room, bob):
    await assert_closed_with(await open_socket(bob, slug="nowhere"), 4404)
    await assert_closed_with(await open_socket(bob, slug="lobby"), 4404)


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("localhost", "https://evil.example"),
        ("localhost", "http://localhost:3000"),  # another port on the same host
        ("localhost", "https://localhost"),  # another scheme
        ("localhost", "http://127.0.0.1"),  # another allowed host, but not this one
        ("localhost", "null"),  # sandboxed frames and file:// pages
        ("localhost", ""),
        ("localhost:8000", "http://localhost"),
        ("evil.example", "http://evil.example"),  # the host is not in ALLOWED_HOSTS
    ],
)
async def test_pages_from_other_origins_are_refused(room, alice, host, origin):
    _, accepted = await handshake(alice, host=host, origin=origin)
    assert not accepted


@pytest.mark.parametrize(
    ("host", "origin"), [("localhost:8000", "http://localhost:8000"), ("[::1]", "http://[::1]")]
)
async def test_the_same_origin_is_accepted_with_any_allowed_host_and_port(
    room, alice, host, origin
):
    tab = await join(alice, host=host, origin=origin)
    await tab.disconnect()


async def test_trusted_origins_come_from_settings(room, alice, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example"]
    tab = await join(alice, origin="https://chat.example")
    await tab.disconnect()


# Messages


async def test_members_receive_the_escaped_html_of_each_saved_message(room, alice, bob):
    await room.members.aadd(bob)
    alice_tab = await join(alice)
    bob_tab = await join(bob)
    await presence_becomes(alice_tab, ["alice", "bob"])
    await alice_tab.send_json_to(htmx_payload("<img src=x onerror=alert(1)>"))
    await receive_sent(alice_tab)
    received = [await receive_swap(tab, "messages") for tab in (alice_tab, bob_tab)]
    # Whoever receives a message finds it in the database: saved first.
    saved = await Message.objects.aget()
    for envelope in received:
        assert 'hx-swap-oob="beforeend"' in envelope["html"]
        assert f'id="message-{saved.pk}" data-seq="1"' in envelope["html"]
        assert "&lt;img src=x onerror=alert(1)&gt;" in envelope["html"]
        assert "<img" not in envelope["html"]
        assert envelope["events"] == {"chat:message": {"count": 1}}
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_messages_stay_in_their_room(room, alice):
    other = await Room.objects.acreate(name="Other")
    await other.members.aadd(alice)
    lobby_tab, other_tab = await join(alice), await join(alice, slug=other.slug)
    await lobby_tab.send_json_to(htmx_payload("lobby only"))
    await receive_sent(lobby_tab)
    assert await receive_messages(lobby_tab) == ["lobby only"]
    await assert_nothing_but_presence(other_tab)
    await lobby_tab.disconnect()
    await other_tab.disconnect()


SHAPE = 'Send a JSON object such as {"kind": "message", "body": "Hi"}.'
BAD_FRAMES = [
    ("not json", "Frames must be valid JSON."),
    ("", "Frames must be valid JSON."),
    # As deep as 4000 characters allow: 3.12 and older give up (RecursionError), 3.13 parses.
    (
        "[" * 2000 + "]" * 2000,
        SHAPE if sys.version_info >= (3, 13) else "Frames must be valid JSON.",
    ),
    ("[1, 2]", SHAPE),
    ('{"body": "no kind"}', SHAPE),
    ('{"kind": "chat.message"}', SHAPE),
    ('{"kind": "access.revoked"}', SHAPE),
    ('{"kind": ["message"]}', SHAPE),
    ('{"kind": "message"}', "This field is required."),
    ('{"kind": "message", "body": "   "}', "This field is required."),
    ('{"kind": "message", "body": 42}', "A message needs a text body."),
    ('{"kind": "message", "body": null}', "A message needs a text body."),
    # A lone surrogate: valid JSON, but no text that the database could store.
    (
        '{"kind": "message", "body": "\\udc00x"}',
        "This message has a broken character: type it again.",
    ),
    (
        json.dumps(htmx_payload("x" * 1001)),
        "Ensure this value has at most 1000 characters (it has 1001).",
    ),
    (json.dumps(htmx_payload("x" * 4000)), "Frames are limited to 4000 characters."),
]


@pytest.mark.parametrize(("frame", "error"), BAD_FRAMES)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(room, alice, frame, error):
    tab = await join(alice)
    # send_input, unlike send_to, can also send an empty frame.
    await tab.send_input({"type": "websocket.receive", "text": frame})
    assert await receive_error(tab) == error
    assert not await Message.objects.aexists()
    # Still open and working afterwards.
    await tab.send_json_to(htmx_payload("still here"))
    await receive_sent(tab)
    assert await receive_messages(tab) == ["still here"]
    await tab.disconnect()


@pytest.mark.parametrize(("size", "accepted"), [(4000, True), (4001, False)])
async def test_the_frame_limit_is_exact(room, alice, size, accepted):
    tab = await join(alice)
    frame = json.dumps({"kind": "message", "body": "hi", "padding": ""})
    frame = frame.replace('"padding": ""', f'"padding": "{"x" * (size - len(frame))}"')
    assert len(frame) == size
    await tab.send_to(text_data=frame)
    if accepted:
        await receive_sent(tab)
        assert await receive_messages(tab) == ["hi"]
    else:
        assert await receive_error(tab) == "Frames are limited to 4000 characters."
    await tab.disconnect()


async def test_binary_frames_get_an_error(room, alice):
    tab = await join(alice)
    await tab.send_to(bytes_data=b"\x00\x01")
    assert await receive_error(tab) == "Binary frames are not supported: send JSON text."
    await tab.disconnect()


async def test_errors_carry_an_event_for_the_page(room, alice):
    tab = await join(alice)
    await tab.send_to(text_data="not json")
    assert (await receive_swap(tab, "chat-error"))["events"] == {"chat:error": {}}
    await tab.disconnect()


# Catching up after a reconnect


async def test_reconnecting_page_gets_the_messages_it_missed_then_presence(room, alice, bob):
    seen = await post(room, alice, "seen before")
    await post(room, bob, "missed one")
    await post(room, bob, "missed two")
    tab = await open_socket(alice, query=f"after={seen.seq}".encode())
    envelope = await receive_swap(tab, "messages")
    assert 'hx-swap-oob="beforeend"' in envelope["html"]
    assert bodies(envelope["html"]) == ["missed one", "missed two"]
    assert envelope["events"] == {"chat:message": {"count": 2}}
    assert await receive_presence(tab) == ["alice"]
    await tab.disconnect()


async def test_the_catch_up_reads_only_this_room(room, alice):
    other = await Room.objects.acreate(name="Other")
    await post(room, alice, "in the lobby")
    await post(other, alice, "elsewhere")
    tab = await open_socket(alice, query=b"after=0")
    assert await receive_messages(tab) == ["in the lobby"]
    assert await receive_presence(tab) == ["alice"]
    await tab.disconnect()


async def test_up_to_date_page_gets_no_catch_up(room, alice):
    last = await post(room, alice, "latest")
    tab = await open_socket(alice, query=f"after={last.seq}".encode())
    assert await receive_presence(tab) == ["alice"]  # first, since nothing was missed
    await assert_nothing_but_presence(tab)
    await tab.disconnect()


async def test_client_that_names_no_message_gets_no_catch_up(room, alice):
    await post(room, alice, "old news")
    tab = await open_socket(alice)
    assert await receive_presence(tab) == ["alice"]
    await assert_nothing_but_presence(tab)
    await tab.disconnect()


async def test_page_that_missed_too_much_gets_the_recent_history(room, alice):
    for n in range(CATCH_UP_LIMIT + 1):
        await post(room, alice, f"m{n}")
    tab = await open_socket(alice, query=b"after=0")
    envelope = await receive_swap(tab, "messages")
    assert 'hx-swap-oob="innerHTML"' in envelope["html"]
    assert envelope["events"] == {"chat:message": {"count": 50}}
    assert envelope["html"].count('class="message"') == 50
    assert f"m{CATCH_UP_LIMIT}" in envelope["html"]
    assert await receive_presence(tab) == ["alice"]
    await tab.disconnect()


@pytest.mark.parametrize(
    "after",
    [b"abc", b"-1", b"1.5", b"1" * 19, b"9" * 5000, b"%C2%B2", b"%FF", b"%00", b"\xff"],
)
async def test_bad_after_gets_an_error_and_the_socket_stays_open(room, alice, after):
    tab = await open_socket(alice, query=b"after=" + after)
    assert await receive_error(tab) == "The ?after= parameter must be a message number."
    assert await receive_presence(tab) == ["alice"]
    await tab.send_json_to(htmx_payload("still here"))
    await receive_sent(tab)
    assert await receive_messages(tab) == ["still here"]
    await tab.disconnect()


async def test_exactly_the_limit_is_still_caught_up_message_by_message(room, alice):
    for n in range(CATCH_UP_LIMIT):
        await post(room, alice, f"m{n}")
    tab = await open_socket(alice, query=b"after=0")
    envelope = await receive_swap(tab, "messages")
    assert 'hx-swap-oob="beforeend"' in envelope["html"]
    assert envelope["events"] == {"chat:message": {"count": CATCH_UP_LIMIT}}
    assert await receive_presence(tab) == ["alice"]
    await tab.disconnect()


async def test_a_broadcast_frame_goes_out_as_it_was_rendered(room, alice):
    tab = await join(alice)
    frame = '{"html": "<div id=\\"messages\\" hx-swap-oob=\\"beforeend\\"></div>", "events": {}}'
    await get_channel_layer().group_send(
        consumers.room_group(room.pk), {"type": "chat.message", "seq": 1, "frame": frame}
    )
    assert await tab.receive_from(timeout=WAIT) == frame  # rendered once, sent to all as is
    await tab.disconnect()


@pytest.mark.parametrize("kind", ["chat.message", "chat.presence", "chat.reply"])
async def test_forwarding_an_event_does_not_wait_for_the_database_thread(room, alice, kind):
    # Database work in this process runs in one thread, one call at a time; Channels'
    # own dispatch() needs that thread before every handler, to close stale connections.
    tab = await join(alice)
    started, release = threading.Event(), threading.Event()

    def slow_query():
        started.set()
        release.wait(timeout=60)

    busy = asyncio.ensure_future(database_sync_to_async(slow_query)())
    try:
        assert await asyncio.to_thread(started.wait, WAIT), "the slow query never started"
        frame = '{"html": "", "events": {"forwarded": true}}'
        await get_channel_layer().group_send(
            consumers.room_group(room.pk), {"type": kind, "seq": 1, "frame": frame}
        )
        assert await tab.receive_from(timeout=WAIT) == frame  # while the thread is still busy
    finally:
        release.set()
        await busy
    await tab.send_json_to(htmx_payload("saved"))  # a frame from the page takes Channels' path
    await receive_sent(tab)
    assert await receive_messages(tab) == ["saved"]
    await tab.disconnect()


async def test_message_in_the_catch_up_is_not_sent_twice(room, alice):
    # A message can be saved before the catch-up reads the database but broadcast after.
    message = await post(room, alice, "only once")
    tab = await open_socket(alice, query=b"after=0")
    assert await receive_messages(tab) == ["only once"]
    await get_channel_layer().group_send(
        consumers.room_group(room.pk), {"type": "chat.message", "seq": message.seq, "frame": "{}"}
    )
    assert await receive_presence(tab) == ["alice"]
    await assert_nothing_but_presence(tab)
    await tab.disconnect()


async def test_a_message_sent_during_the_catch_up_still_arrives(room, alice, bob, monkeypatch):
    # The socket joins the room's group before it reads the history: a message
    # broadcast in between reaches it live instead of falling through the gap.
    await room.members.aadd(bob)
    bob_tab = await join(bob)
    read_history = consumers.catch_up

    async def bob_posts_right_after_the_read(room, after):
        missed = await read_history(room, after)
        await bob_tab.send_json_to(htmx_payload("sent meanwhile"))
        await receive_sent(bob_tab)
        assert await receive_messages(bob_tab) == ["sent meanwhile"]
        return missed

    monkeypatch.setattr(consumers, "catch_up", bob_posts_right_after_the_read)
    alice_tab = await open_socket(alice, query=b"after=0")
    assert await receive_messages(alice_tab) == ["sent meanwhile"]
    await presence_becomes(alice_tab, ["alice", "bob"])
    await presence_becomes(bob_tab, ["alice", "bob"])
    await alice_tab.disconnect()
    await bob_tab.disconnect()


# Limits, per user across all of their sockets


async def test_the_rate_limit_is_shared_by_all_of_a_users_sockets(room, alice, monkeypatch):
    monkeypatch.setattr(limits, "FRAMES_PER_USER", 3)
    first = await join(alice)
    second = await join(alice, browser=await log_in(alice))
    for tab, body in [(first, "one"), (second, "two"), (first, "three")]:
        await tab.send_json_to(htmx_payload(body))
        await receive_sent(tab)
        for receiver in (first, second):
            assert await receive_messages(receiver) == [body]
    await second.send_json_to(htmx_payload("four"))
    assert await receive_error(second) == "Too many messages: wait a few seconds."
    await assert_nothing_but_presence(first)
    assert await Message.objects.acount() == 3
    await first.disconnect()
    await second.disconnect()


async def test_frames_count_for_the_rate_when_they_arrive_not_when_handled(
    room, alice, monkeypatch
):
    monkeypatch.setattr(limits, "FRAMES_PER_USER", 4)
    monkeypatch.setattr(limits, "PERIOD", 0.5)
    # A stall (a locked database, say): nothing is saved until it ends.
    stall_over = asyncio.Event()
    save = consumers.save_message

    async def stalled_save(*args):
        await stall_over.wait()
        return await save(*args)

    monkeypatch.setattr(consumers, "save_message", stalled_save)
    tab = await join(alice)
    # One message every 0.3 s: never more than four in any 1 s as they arrive...
    for n in range(6):
        await tab.send_json_to(htmx_payload(f"message {n}"))
        await asyncio.sleep(0.3)
    stall_over.set()  # ...but all handled in a burst once the stall ends
    frames = []
    while len(frames) < 12:  # the answers and the broadcasts, in any order; presence aside
        frame = await tab.receive_json_from(timeout=2)
        if not swaps_into(frame, "presence"):
            frames.append(frame)
    assert frames.count({"html": "", "events": {"chat:sent": {}}}) == 6  # none refused
    assert [body for frame in frames for body in bodies(frame["html"])] == [
        f"message {n}" for n in range(6)
    ]
    await tab.disconnect()


async def test_a_user_who_keeps_flooding_is_closed_with_4429(room, alice, bob, monkeypatch):
    monkeypatch.setattr(limits, "FRAMES_PER_USER", 1)
    monkeypatch.setattr(limits, "REFUSALS_PER_USER", 2)
    await room.members.aadd(bob)
    bob_tab = await join(bob)
    tab = await join(alice)
    await presence_becomes(bob_tab, ["alice", "bob"])
    for _ in range(4):
        await tab.send_to(text_data="not json")
    assert await receive_error(tab) == "Frames must be valid JSON."
    for _ in range(2):
        assert await receive_error(tab) == "Too many messages: wait a few seconds."
    await assert_closed_with(tab, 4429)
    await presence_becomes(bob_tab, ["bob"])  # others see the flooder go
    await bob_tab.disconnect()


async def test_a_user_may_open_only_so_many_sockets(room, alice, monkeypatch):
    monkeypatch.setattr(limits, "SOCKETS_PER_USER", 2)
    first, second = await join(alice), await join(alice)
    third = await open_socket(alice)
    await assert_closed_with(third, 4503)  # "try again later": the page retries it
    await first.disconnect()
    fourth = await join(alice)
    await first.disconnect()
    await second.disconnect()
    await fourth.disconnect()


# Losing access closes the sockets at once


async def test_logging_out_closes_that_browsers_sockets_only(room, alice):
    browser, elsewhere = await log_in(alice), await log_in(alice)
    tabs = [await join(alice, browser=browser), await join(alice, browser=browser)]
    other_device = await join(alice, browser=elsewhere)
    await database_sync_to_async(browser.post)("/accounts/logout/")
    for tab in tabs:
        await assert_closed_with(tab, 4401)
    # Still logged in on the other device, still open.
    await other_device.send_json_to(htmx_payload("still here"))
    await receive_sent(other_device)
    assert await receive_messages(other_device) == ["still here"]
    await other_device.disconnect()


@pytest.mark.parametrize(
    "remove",
    [
        lambda room, user: room.members.remove(user),
        lambda room, user: user.rooms.remove(room),  # the same, from the other side
        lambda room, user: room.members.clear(),
        lambda room, user: room.members.set([]),
    ],
    ids=["remove", "reverse-remove", "clear", "set"],
)
async def test_removal_from_the_room_closes_its_sockets_with_4403(room, alice, remove):
    other = await Room.objects.acreate(name="Other")
    await other.members.aadd(alice)
    lobby_tab, other_tab = await join(alice), await join(alice, slug=other.slug)
    await database_sync_to_async(remove)(room, alice)
    await assert_closed_with(lobby_tab, 4403)
    await assert_nothing_but_presence(other_tab)  # still a member there
    await other_tab.disconnect()


async def test_others_see_a_removed_member_leave(room, alice, bob):
    await room.members.aadd(bob)
    bob_tab = await join(bob)
    alice_tab = await join(alice)
    await presence_becomes(bob_tab, ["alice", "bob"])
    await room.members.aremove(alice)
    await assert_closed_with(alice_tab, 4403)
    await presence_becomes(bob_tab, ["bob"])
    await bob_tab.disconnect()


@pytest.mark.parametrize("change", ["deactivate", "delete"])
async def test_deactivated_or_deleted_users_are_closed_with_4401(room, alice, change):
    tab = await join(alice)
    if change == "delete":
        await alice.adelete()
    else:
        alice.is_active = False
        await alice.asave()
    await assert_closed_with(tab, 4401)


async def test_a_new_password_closes_every_socket_of_that_user_with_4401(room, alice, bob):
    await room.members.aadd(bob)
    phone, laptop, bob_tab = await join(alice), await join(alice), await join(bob)
    admin = await database_sync_to_async(Client)()
    await database_sync_to_async(admin.force_login)(
        await User.objects.acreate(username="admin", is_staff=True, is_superuser=True)
    )
    new_password = {"password1": "a-brand-new-secret", "password2": "a-brand-new-secret"}
    response = await database_sync_to_async(admin.post)(
        f"/admin/accounts/user/{alice.pk}/password/", new_password
    )
    assert response.status_code == 302, "the admin did not accept the new password"
    await assert_closed_with(phone, 4401)
    await assert_closed_with(laptop, 4401)
    await presence_becomes(bob_tab, ["bob"])
    await bob_tab.disconnect()


async def test_saving_a_user_without_a_new_password_closes_nothing(room, alice):
    tab = await join(alice)
    await log_in(alice)  # saves her last_login
    alice.first_name = "Alice"
    await alice.asave()
    await assert_nothing_but_presence(tab)
    await tab.disconnect()


async def test_deleting_the_room_closes_its_sockets_with_4404(room, alice):
    tab = await join(alice)
    await room.adelete()
    await assert_closed_with(tab, 4404)


async def test_a_change_that_is_rolled_back_revokes_nothing(room, alice):
    tab = await join(alice)

    def remove_then_roll_back():
        with transaction.atomic():
            room.members.remove(alice)
            transaction.set_rollback(True)

    await database_sync_to_async(remove_then_roll_back)()
    await assert_nothing_but_presence(tab)
    await tab.send_json_to(htmx_payload("still a member"))
    await receive_sent(tab)
    assert await receive_messages(tab) == ["still a member"]
    await tab.disconnect()


async def test_membership_is_checked_again_before_saving(room, alice):
    tab = await join(alice)
    # Remove her behind the signals' back, as a raw query or another program would.
    await Room.members.through.objects.filter(room=room, user=alice).adelete()
    await tab.send_json_to(htmx_payload("let me stay"))
    await assert_closed_with(tab, 4403)
    assert not await Message.objects.aexists()


async def test_a_user_deactivated_behind_the_signals_back_cannot_post(room, alice):
    tab = await join(alice)
    await type(alice).objects.filter(pk=alice.pk).aupdate(is_active=False)  # no signal
    await tab.send_json_to(htmx_payload("still active?"))
    await assert_closed_with(tab, 4403)
    assert not await Message.objects.aexists()


async def test_nothing_reaches_a_socket_after_it_lost_access(room, alice):
    tab = await join(alice)

    def remove_then_broadcast():
        room.members.remove(alice)  # queues the revocation for her sockets...
        group_send = async_to_sync(get_channel_layer().group_send)
        group_send(consumers.room_group(room.pk), {"type": "chat.message", "seq": 0, "frame": "{}"})

    await database_sync_to_async(remove_then_broadcast)()
    await assert_closed_with(tab, 4403)
    assert await tab.receive_nothing(timeout=0.2)


async def test_a_closed_socket_is_not_heard_any_more(room, alice):
    tab = await join(alice)
    await room.members.aremove(alice)
    await assert_closed_with(tab, 4403)
    await tab.send_json_to(htmx_payload("one more"))
    assert await tab.receive_nothing(timeout=0.2)
    assert not await Message.objects.aexists()


# Failures leave everything in order


async def test_a_database_error_is_an_error_frame_not_a_crash(room, alice):
    tab = await join(alice)
    # A row that takes the next number behind the room's back: saving then breaks
    # the unique constraint on (room, seq), for real.
    await Message.objects.acreate(room=room, author=alice, body="squatter", seq=1)
    await tab.send_json_to(htmx_payload("will it save?"))
    assert await receive_error(tab) == "Your message could not be saved. Please send it again."
    await Room.objects.filter(pk=room.pk).aupdate(last_seq=1)
    await tab.send_json_to(htmx_payload("saved this time"))
    await receive_sent(tab)
    assert await receive_messages(tab) == ["saved this time"]
    await tab.disconnect()


async def test_a_crash_leaves_no_ghost_in_the_room(room, alice, bob, monkeypatch):
    async def bug(self, content):
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(ChatConsumer, "receive_message", bug)
    await room.members.aadd(bob)
    bob_tab = await join(bob)
    alice_tab = await join(alice)
    await presence_becomes(bob_tab, ["alice", "bob"])
    await alice_tab.send_json_to(htmx_payload("boom"))
    with pytest.raises(RuntimeError, match="a bug in a handler"):
        await asyncio.wait_for(alice_tab.future, WAIT)  # the consumer's task dies of it
    await presence_becomes(bob_tab, ["bob"])
    await bob_tab.disconnect()


async def test_groups_are_named_by_primary_key(room, alice):
    assert consumers.room_group(room.pk) == f"room-{room.pk}"
    assert consumers.user_group(alice.pk) == f"user-{alice.pk}"


@pytest.mark.parametrize("path", ["/ws/nowhere/", "/ws/rooms/lobby/extra/", "/ws/rooms/"])
async def test_a_path_with_no_route_is_closed_as_no_such_room(room, alice, path):
    browser = await log_in(alice)
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME]
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    headers.append((b"cookie", f"{cookie.key}={cookie.value}".encode()))
    tab = WebsocketCommunicator(application, path, headers=headers)
    accepted, _ = await tab.connect()
    assert accepted  # accepted, so that the browser sees the code below
    await assert_closed_with(tab, 4404)


# Redis failing under a socket: the page must learn of it, never lose a frame silently.


@pytest.fixture
def own_redis(settings, tmp_path):
    """A Redis of this test's own for the layer and the cache, to stop, kill or freeze."""
    server = Redis(tmp_path)
    server.start()
    settings.CHANNEL_LAYERS = copy.deepcopy(settings.CHANNEL_LAYERS)
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [server.url]
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": server.url}}
    yield server
    server.process.send_signal(signal.SIGCONT)  # if a test left it frozen
    server.stop()


@pytest.mark.parametrize("fault", ["stop", "kill"])
async def test_redis_gone_closes_the_socket_with_a_code_the_page_retries(
    room, alice, own_redis, fault
):
    tab = await open_socket(alice)
    getattr(own_redis, fault)()
    await tab.send_json_to(htmx_payload("sent as Redis went"))
    await assert_closed_with(tab, 4500)  # not 1011 and a traceback
    assert not await Message.objects.aexists()  # nothing saved, and nothing answered "sent"


async def test_a_frozen_redis_holds_a_message_up_but_loses_nothing(room, alice, own_redis):
    tab = await open_socket(alice)
    own_redis.process.send_signal(signal.SIGSTOP)
    try:
        await tab.send_json_to(htmx_payload("sent while Redis hangs"))
        assert await tab.receive_nothing(timeout=1)
    finally:
        own_redis.process.send_signal(signal.SIGCONT)
    await receive_sent(tab)
    assert await receive_messages(tab) == ["sent while Redis hangs"]
    await tab.disconnect()
