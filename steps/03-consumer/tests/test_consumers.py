import json

import pytest
from channels.testing import WebsocketCommunicator

from backchat.asgi import application
from chat import presence
from chat.consumers import ChatConsumer
from chat.models import Message, Room

from .websockets import open_socket, receive_kind

pytestmark = pytest.mark.django_db(transaction=True)


async def assert_closed_with(communicator, code):
    assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": code}


async def test_anonymous_visitor_is_closed_with_4401(room):
    await assert_closed_with(await open_socket(user=None), 4401)


async def test_unknown_room_is_closed_with_4404(alice):
    await assert_closed_with(await open_socket(alice, slug="nowhere"), 4404)


async def test_non_member_is_closed_with_4403(room, bob):
    await assert_closed_with(await open_socket(bob), 4403)


@pytest.mark.parametrize("headers", [[(b"origin", b"https://evil.example")], []])
async def test_foreign_or_missing_origin_is_refused(room, alice, headers):
    communicator = WebsocketCommunicator(application, "/ws/rooms/lobby/", headers=headers)
    connected, _ = await communicator.connect()
    assert not connected


async def test_both_members_receive_a_message_already_saved(room, alice, bob):
    await room.members.aadd(bob)
    alice_tab, bob_tab = await open_socket(alice), await open_socket(bob)
    await alice_tab.send_json_to({"kind": "message", "body": "Hello, <b>Bob</b>"})
    for tab in (alice_tab, bob_tab):
        message = (await receive_kind(tab, "message"))["message"]
        assert message["author"] == "alice"
        assert message["body"] == "Hello, <b>Bob</b>"
        # Whoever receives a message can already find it in the database.
        assert await Message.objects.filter(pk=message["id"], room=room).aexists()
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_messages_stay_in_their_room(room, alice):
    other = await Room.objects.acreate(name="Other")
    await other.members.aadd(alice)
    lobby_tab, other_tab = await open_socket(alice), await open_socket(alice, slug=other.slug)
    await lobby_tab.send_json_to({"kind": "message", "body": "lobby only"})
    await receive_kind(lobby_tab, "message")
    await receive_kind(other_tab, "presence")
    assert await other_tab.receive_nothing(timeout=0.2)
    await lobby_tab.disconnect()
    await other_tab.disconnect()


BAD_FRAMES = [
    ("not json", "Frames must be valid JSON."),
    ("", "Frames must be valid JSON."),
    ("[1, 2]", 'Send a JSON object such as {"kind": "message", "body": "Hi"}.'),
    ('{"body": "no kind"}', 'Send a JSON object such as {"kind": "message", "body": "Hi"}.'),
    ('{"kind": "chat.message"}', 'Send a JSON object such as {"kind": "message", "body": "Hi"}.'),
    ('{"kind": ["message"]}', 'Send a JSON object such as {"kind": "message", "body": "Hi"}.'),
    ('{"kind": "message"}', "This field is required."),
    ('{"kind": "message", "body": "   "}', "This field is required."),
    ('{"kind": "message", "body": 42}', "A message needs a text body."),
    (
        json.dumps({"kind": "message", "body": "x" * 1001}),
        "Ensure this value has at most 1000 characters (it has 1001).",
    ),
    (json.dumps({"kind": "message", "body": "x" * 5000}), "Frames are limited to 4000 characters."),
]


@pytest.mark.parametrize(("frame", "error"), BAD_FRAMES)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(room, alice, frame, error):
    tab = await open_socket(alice)
    # send_input, unlike send_to, can also send an empty frame.
    await tab.send_input({"type": "websocket.receive", "text": frame})
    assert await receive_kind(tab, "error") == {"kind": "error", "error": error}
    # Still open and working afterwards.
    await tab.send_json_to({"kind": "message", "body": "still here"})
    assert (await receive_kind(tab, "message"))["message"]["body"] == "still here"
    assert await Message.objects.acount() == 1
    await tab.disconnect()


async def test_binary_frames_get_an_error(room, alice):
    tab = await open_socket(alice)
    await tab.send_to(bytes_data=b"\x00\x01")
    error = await receive_kind(tab, "error")
    assert error["error"] == "Binary frames are not supported: send JSON text."
    await tab.disconnect()


async def test_rate_limit(room, alice, monkeypatch):
    monkeypatch.setattr(ChatConsumer, "rate_limit", 3)
    tab = await open_socket(alice)
    for n in range(4):
        await tab.send_json_to({"kind": "message", "body": f"m{n}"})
    received = [await receive_kind(tab, "message") for _ in range(3)]
    assert [frame["message"]["body"] for frame in received] == ["m0", "m1", "m2"]
    assert (await receive_kind(tab, "error"))["error"] == "Too many messages: wait a few seconds."
    assert await Message.objects.acount() == 3
    await tab.disconnect()


async def test_presence_counts_each_user_once_across_tabs(room, alice, bob):
    await room.members.aadd(bob)
    alice_tab = await open_socket(alice)
    assert (await receive_kind(alice_tab, "presence"))["users"] == ["alice"]
    bob_tab = await open_socket(bob)
    assert (await receive_kind(alice_tab, "presence"))["users"] == ["alice", "bob"]
    second_alice_tab = await open_socket(alice)
    assert (await receive_kind(bob_tab, "presence"))["users"] == ["alice", "bob"]  # bob's own
    assert (await receive_kind(bob_tab, "presence"))["users"] == ["alice", "bob"]  # alice's 2nd
    await alice_tab.disconnect()
    assert (await receive_kind(bob_tab, "presence"))["users"] == ["alice", "bob"]
    await second_alice_tab.disconnect()
    assert (await receive_kind(bob_tab, "presence"))["users"] == ["bob"]
    await bob_tab.disconnect()


async def test_disconnect_cleans_up(room, alice):
    tab = await open_socket(alice)
    await receive_kind(tab, "presence")
    assert presence.usernames(room.pk) == ["alice"]
    await tab.disconnect()
    assert presence.usernames(room.pk) == []
