import asyncio
import json
import sqlite3
import sys
from contextlib import contextmanager

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client

from backchat.asgi import application
from chat import consumers, limits, presence
from chat.consumers import ChatConsumer
from chat.models import Message, Room

from .websockets import (
    WAIT,
    assert_closed_with,
    handshake,
    log_in,
    open_socket,
    receive,
    receive_error,
    receive_message,
    receive_presence,
    send_message,
)

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()


@pytest.fixture(autouse=True)
def nobody_left_behind():
    """Every way a socket ends must undo what it did: presence and per-user limits."""
    yield
    assert not any(presence._open_sockets.values())
    assert limits._users == {}


async def join(user, slug="lobby", **kwargs):
    """A socket in the room, past its own arrival in the presence list."""
    tab = await open_socket(user, slug, **kwargs)
    assert user.username in await receive_presence(tab)
    return tab


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


async def test_members_receive_each_saved_message(room, alice, bob):
    await room.members.aadd(bob)
    alice_tab = await join(alice)
    bob_tab = await join(bob)
    assert await receive_presence(alice_tab) == ["alice", "bob"]
    await send_message(alice_tab, "Hi Bob")
    received = [await receive_message(tab) for tab in (alice_tab, bob_tab)]
    # Whoever receives a message finds it in the database: saved first.
    saved = await Message.objects.aget()
    expected = {
        "id": saved.pk,
        "author": "alice",
        "body": "Hi Bob",
        "created_at": saved.created_at.isoformat(),
    }
    assert received == [expected, expected]
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_messages_stay_in_their_room(room, alice):
    other = await Room.objects.acreate(name="Other")
    await other.members.aadd(alice)
    lobby_tab, other_tab = await join(alice), await join(alice, slug=other.slug)
    await send_message(lobby_tab, "lobby only")
    assert (await receive_message(lobby_tab))["body"] == "lobby only"
    assert await other_tab.receive_nothing(timeout=0.2)
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
        json.dumps({"kind": "message", "body": "x" * 1001}),
        "Ensure this value has at most 1000 characters (it has 1001).",
    ),
    (json.dumps({"kind": "message", "body": "x" * 4000}), "Frames are limited to 4000 characters."),
]


@pytest.mark.parametrize(("frame", "error"), BAD_FRAMES)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(room, alice, frame, error):
    tab = await join(alice)
    # send_input, unlike send_to, can also send an empty frame.
    await tab.send_input({"type": "websocket.receive", "text": frame})
    assert await receive_error(tab) == error
    assert not await Message.objects.aexists()
    # Still open and working afterwards.
    await send_message(tab, "still here")
    assert (await receive_message(tab))["body"] == "still here"
    await tab.disconnect()


@pytest.mark.parametrize(("size", "accepted"), [(4000, True), (4001, False)])
async def test_the_frame_limit_is_exact(room, alice, size, accepted):
    tab = await join(alice)
    frame = json.dumps({"kind": "message", "body": "hi", "padding": ""})
    frame = frame.replace('"padding": ""', f'"padding": "{"x" * (size - len(frame))}"')
    assert len(frame) == size
    await tab.send_to(text_data=frame)
    if accepted:
        await receive(tab, "sent")
        assert (await receive_message(tab))["body"] == "hi"
    else:
        assert await receive_error(tab) == "Frames are limited to 4000 characters."
    await tab.disconnect()


async def test_binary_frames_get_an_error(room, alice):
    tab = await join(alice)
    await tab.send_to(bytes_data=b"\x00\x01")
    assert await receive_error(tab) == "Binary frames are not supported: send JSON text."
    await tab.disconnect()


# Limits, per user across all of their sockets


async def test_the_rate_limit_is_shared_by_all_of_a_users_sockets(room, alice, monkeypatch):
    monkeypatch.setattr(limits, "FRAMES_PER_USER", 3)
    first = await join(alice)
    second = await join(alice, browser=await log_in(alice))
    assert await receive_presence(first) == ["alice"]
    for tab, body in [(first, "one"), (second, "two"), (first, "three")]:
        await send_message(tab, body)
        for receiver in (first, second):
            assert (await receive_message(receiver))["body"] == body
    await second.send_json_to({"kind": "message", "body": "four"})
    assert await receive_error(second) == "Too many messages: wait a few seconds."
    assert await first.receive_nothing(timeout=0.1)
    assert await Message.objects.acount() == 3
    await first.disconnect()
    await second.disconnect()


async def test_frames_count_for_the_rate_when_they_arrive_not_when_handled(
    room, alice, monkeypatch
):
    monkeypatch.setattr(limits, "FRAMES_PER_USER", 2)
    monkeypatch.setattr(limits, "PERIOD", 0.5)
    # A stall (a locked database, say): nothing is saved until it ends.
    stall_over = asyncio.Event()
    save = consumers.save_message

    async def stalled_save(*args):
        await stall_over.wait()
        return await save(*args)

    monkeypatch.setattr(consumers, "save_message", stalled_save)
    tab = await join(alice)
    # One message every 0.3 s: never more than two in any 0.5 s as they arrive...
    for n in range(4):
        await tab.send_json_to({"kind": "message", "body": f"message {n}"})
        await asyncio.sleep(0.3)
    stall_over.set()  # ...but all handled in a burst once the stall ends
    for n in range(4):
        await receive(tab, "sent")
        assert (await receive_message(tab))["body"] == f"message {n}"
    await tab.disconnect()


async def test_a_user_who_keeps_flooding_is_closed_with_4429(room, alice, bob, monkeypatch):
    monkeypatch.setattr(limits, "FRAMES_PER_USER", 1)
    monkeypatch.setattr(limits, "REFUSALS_PER_USER", 2)
    await room.members.aadd(bob)
    bob_tab = await join(bob)
    tab = await join(alice)
    assert await receive_presence(bob_tab) == ["alice", "bob"]
    for _ in range(4):
        await tab.send_to(text_data="not json")
    assert await receive_error(tab) == "Frames must be valid JSON."
    for _ in range(2):
        assert await receive_error(tab) == "Too many messages: wait a few seconds."
    await assert_closed_with(tab, 4429)
    assert await receive_presence(bob_tab) == ["bob"]  # others see the flooder go
    await bob_tab.disconnect()


async def test_a_user_may_open_only_so_many_sockets(room, alice, monkeypatch):
    monkeypatch.setattr(limits, "SOCKETS_PER_USER", 2)
    first, second = await join(alice), await join(alice)
    assert await receive_presence(first) == ["alice"]
    third = await open_socket(alice)
    await assert_closed_with(third, 4503)  # "try again later": the page retries it
    await first.disconnect()
    assert await receive_presence(second) == ["alice"]  # the first one left
    fourth = await join(alice)
    assert await receive_presence(second) == ["alice"]  # the fourth one came
    await second.disconnect()
    await fourth.disconnect()


# Losing access closes the sockets at once


async def test_logging_out_closes_that_browsers_sockets_only(room, alice):
    browser, elsewhere = await log_in(alice), await log_in(alice)
    tabs = [await join(alice, browser=browser), await join(alice, browser=browser)]
    other_device = await join(alice, browser=elsewhere)
    for tab in tabs:
        assert await receive_presence(tab) == ["alice"]
    assert await receive_presence(tabs[0]) == ["alice"]
    await database_sync_to_async(browser.post)("/accounts/logout/")
    for tab in tabs:
        await assert_closed_with(tab, 4401)
    # Still logged in on the other device, which only sees the tabs go.
    assert await receive_presence(other_device) == ["alice"]
    assert await receive_presence(other_device) == ["alice"]
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
    assert await other_tab.receive_nothing(timeout=0.2)  # still a member there
    await other_tab.disconnect()


async def test_others_see_a_removed_member_leave(room, alice, bob):
    await room.members.aadd(bob)
    bob_tab = await join(bob)
    alice_tab = await join(alice)
    assert await receive_presence(bob_tab) == ["alice", "bob"]
    await room.members.aremove(alice)
    await assert_closed_with(alice_tab, 4403)
    assert await receive_presence(bob_tab) == ["bob"]
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
    phone, laptop = await join(alice), await join(alice)
    bob_tab = await join(bob)
    assert await receive_presence(phone) == ["alice"]  # the laptop came
    for tab in (phone, laptop):
        assert await receive_presence(tab) == ["alice", "bob"]
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
    assert await receive_presence(bob_tab) == ["alice", "bob"]  # one of her two went
    assert await receive_presence(bob_tab) == ["bob"]
    await bob_tab.disconnect()


async def test_saving_a_user_without_a_new_password_closes_nothing(room, alice):
    tab = await join(alice)
    await log_in(alice)  # saves her last_login
    alice.first_name = "Alice"
    await alice.asave()
    assert await tab.receive_nothing(timeout=0.2)
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
    assert await tab.receive_nothing(timeout=0.2)
    await send_message(tab, "still a member")
    assert (await receive_message(tab))["body"] == "still a member"
    await tab.disconnect()


async def test_membership_is_checked_again_before_saving(room, alice):
    tab = await join(alice)
    # Remove her behind the signals' back, as a raw query or another program would.
    await Room.members.through.objects.filter(room=room, user=alice).adelete()
    await tab.send_json_to({"kind": "message", "body": "let me stay"})
    await assert_closed_with(tab, 4403)
    assert not await Message.objects.aexists()


async def test_a_user_deactivated_behind_the_signals_back_cannot_post(room, alice):
    tab = await join(alice)
    await type(alice).objects.filter(pk=alice.pk).aupdate(is_active=False)  # no signal
    await tab.send_json_to({"kind": "message", "body": "still active?"})
    await assert_closed_with(tab, 4403)
    assert not await Message.objects.aexists()


async def test_nothing_reaches_a_socket_after_it_lost_access(room, alice):
    tab = await join(alice)

    def remove_then_broadcast():
        room.members.remove(alice)  # queues the revocation for her sockets...
        group_send = async_to_sync(get_channel_layer().group_send)
        group_send(consumers.room_group(room.pk), {"type": "chat.message", "message": {}})

    await database_sync_to_async(remove_then_broadcast)()
    await assert_closed_with(tab, 4403)
    assert await tab.receive_nothing(timeout=0.2)


async def test_a_closed_socket_is_not_heard_any_more(room, alice):
    tab = await join(alice)
    await room.members.aremove(alice)
    await assert_closed_with(tab, 4403)
    await tab.send_json_to({"kind": "message", "body": "one more"})
    assert await tab.receive_nothing(timeout=0.2)
    assert not await Message.objects.aexists()


# Failures leave everything in order


@contextmanager
def locked_message_table():
    """Hold a write lock on the message table from another connection, for real."""
    other = sqlite3.connect(connection.settings_dict["NAME"], uri=True)
    other.execute("BEGIN IMMEDIATE")
    other.execute("DELETE FROM chat_message")
    try:
        yield
    finally:
        other.rollback()
        other.close()


async def test_a_database_error_is_an_error_frame_not_a_crash(room, alice):
    tab = await join(alice)
    with locked_message_table():
        await tab.send_json_to({"kind": "message", "body": "will it save?"})
        assert await receive_error(tab) == "Your message could not be saved. Please send it again."
    await send_message(tab, "saved this time")
    assert (await receive_message(tab))["body"] == "saved this time"
    await tab.disconnect()


async def test_a_crash_leaves_no_ghost_in_the_room(room, alice, bob, monkeypatch):
    async def bug(self, content):
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(ChatConsumer, "receive_message", bug)
    await room.members.aadd(bob)
    bob_tab = await join(bob)
    alice_tab = await join(alice)
    assert await receive_presence(bob_tab) == ["alice", "bob"]
    await alice_tab.send_json_to({"kind": "message", "body": "boom"})
    with pytest.raises(RuntimeError, match="a bug in a handler"):
        await asyncio.wait_for(alice_tab.future, WAIT)  # the consumer's task dies of it
    assert await receive_presence(bob_tab) == ["bob"]
    await bob_tab.disconnect()


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


async def test_groups_are_named_by_primary_key(room, alice):
    assert consumers.room_group(room.pk) == f"room-{room.pk}"
    assert consumers.user_group(alice.pk) == f"user-{alice.pk}"
