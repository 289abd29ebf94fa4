import json

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from backchat.asgi import application
from chat import presence
from chat.consumers import CATCH_UP_LIMIT, ChatConsumer, group_name
from chat.models import Message, Room

from .websockets import open_socket, receive_error, receive_presence, receive_swap

pytestmark = pytest.mark.django_db(transaction=True)


def htmx_payload(body):
    """What htmx's ws-send posts for our composer form."""
    return {"kind": "message", "body": body, "HEADERS": {"HX-Request": "true"}}


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


async def test_both_members_receive_the_escaped_html_of_a_saved_message(room, alice, bob):
    await room.members.aadd(bob)
    alice_tab, bob_tab = await open_socket(alice), await open_socket(bob)
    await alice_tab.send_json_to(htmx_payload("<img src=x onerror=alert(1)>"))
    for tab in (alice_tab, bob_tab):
        envelope = await receive_swap(tab, "messages")
        assert 'hx-swap-oob="beforeend"' in envelope["html"]
        assert "&lt;img src=x onerror=alert(1)&gt;" in envelope["html"]
        assert "<img" not in envelope["html"]
        assert envelope["events"] == {"chat:message": {"count": 1}}
        # Whoever receives a message can already find it in the database.
        message = await Message.objects.aget()
        assert f'id="message-{message.pk}"' in envelope["html"]
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_messages_stay_in_their_room(room, alice):
    other = await Room.objects.acreate(name="Other")
    await other.members.aadd(alice)
    lobby_tab, other_tab = await open_socket(alice), await open_socket(alice, slug=other.slug)
    await lobby_tab.send_json_to(htmx_payload("lobby only"))
    await receive_swap(lobby_tab, "messages")
    await receive_swap(other_tab, "presence")
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
        json.dumps(htmx_payload("x" * 1001)),
        "Ensure this value has at most 1000 characters (it has 1001).",
    ),
    (json.dumps(htmx_payload("x" * 5000)), "Frames are limited to 4000 characters."),
]


@pytest.mark.parametrize(("frame", "error"), BAD_FRAMES)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(room, alice, frame, error):
    tab = await open_socket(alice)
    # send_input, unlike send_to, can also send an empty frame.
    await tab.send_input({"type": "websocket.receive", "text": frame})
    assert await receive_error(tab) == error
    # Still open and working afterwards.
    await tab.send_json_to(htmx_payload("still here"))
    assert "still here" in (await receive_swap(tab, "messages"))["html"]
    assert await Message.objects.acount() == 1
    await tab.disconnect()


async def test_errors_carry_an_event_for_the_page(room, alice):
    tab = await open_socket(alice)
    await tab.send_to(text_data="not json")
    assert (await receive_swap(tab, "chat-error"))["events"] == {"chat:error": {}}
    await tab.disconnect()


async def test_binary_frames_get_an_error(room, alice):
    tab = await open_socket(alice)
    await tab.send_to(bytes_data=b"\x00\x01")
    assert await receive_error(tab) == "Binary frames are not supported: send JSON text."
    await tab.disconnect()


async def test_rate_limit(room, alice, monkeypatch):
    monkeypatch.setattr(ChatConsumer, "rate_limit", 3)
    tab = await open_socket(alice)
    for n in range(4):
        await tab.send_json_to(htmx_payload(f"m{n}"))
    for n in range(3):
        assert f"m{n}" in (await receive_swap(tab, "messages"))["html"]
    assert await receive_error(tab) == "Too many messages: wait a few seconds."
    assert await Message.objects.acount() == 3
    await tab.disconnect()


async def test_presence_counts_each_user_once_across_tabs(room, alice, bob):
    await room.members.aadd(bob)
    alice_tab = await open_socket(alice)
    assert await receive_presence(alice_tab) == ["alice"]
    bob_tab = await open_socket(bob)
    assert await receive_presence(alice_tab) == ["alice", "bob"]
    second_alice_tab = await open_socket(alice)
    assert await receive_presence(bob_tab) == ["alice", "bob"]  # bob's own arrival
    assert await receive_presence(bob_tab) == ["alice", "bob"]  # alice's second tab
    await alice_tab.disconnect()
    assert await receive_presence(bob_tab) == ["alice", "bob"]
    await second_alice_tab.disconnect()
    assert await receive_presence(bob_tab) == ["bob"]
    await bob_tab.disconnect()


async def test_disconnect_cleans_up(room, alice):
    tab = await open_socket(alice)
    await receive_presence(tab)
    assert presence.usernames(room.pk) == ["alice"]
    await tab.disconnect()
    assert presence.usernames(room.pk) == []


async def test_reconnecting_page_gets_the_messages_it_missed(room, alice, bob):
    seen = await Message.objects.acreate(room=room, author=alice, body="seen before")
    await Message.objects.acreate(room=room, author=bob, body="missed one")
    await Message.objects.acreate(room=room, author=bob, body="missed two")
    tab = await open_socket(alice, query=f"?after={seen.pk}")
    envelope = await receive_swap(tab, "messages")
    assert 'hx-swap-oob="beforeend"' in envelope["html"]
    assert "seen before" not in envelope["html"]
    assert envelope["html"].index("missed one") < envelope["html"].index("missed two")
    await tab.disconnect()


async def test_up_to_date_page_gets_no_catch_up(room, alice):
    last = await Message.objects.acreate(room=room, author=alice, body="latest")
    tab = await open_socket(alice, query=f"?after={last.pk}")
    await receive_presence(tab)
    assert await tab.receive_nothing(timeout=0.2)
    await tab.disconnect()


async def test_client_that_names_no_message_gets_no_catch_up(room, alice):
    await Message.objects.acreate(room=room, author=alice, body="old news")
    tab = await open_socket(alice)
    await receive_presence(tab)
    assert await tab.receive_nothing(timeout=0.2)
    await tab.disconnect()


async def test_page_that_missed_too_much_gets_the_recent_history(room, alice):
    await Message.objects.abulk_create(
        Message(room=room, author=alice, body=f"m{n}") for n in range(CATCH_UP_LIMIT + 1)
    )
    tab = await open_socket(alice, query="?after=0")
    envelope = await receive_swap(tab, "messages")
    assert 'hx-swap-oob="innerHTML"' in envelope["html"]
    assert envelope["html"].count('class="message"') == 50
    assert f"m{CATCH_UP_LIMIT}" in envelope["html"]
    await tab.disconnect()


@pytest.mark.parametrize("after", ["abc", "-1", "²"])
async def test_bad_after_gets_an_error_and_the_socket_stays_open(room, alice, after):
    tab = await open_socket(alice, query=f"?after={after}")
    assert await receive_error(tab) == "The ?after= parameter must be a message id."
    await tab.send_json_to(htmx_payload("still here"))
    assert "still here" in (await receive_swap(tab, "messages"))["html"]
    await tab.disconnect()


async def test_message_in_the_catch_up_is_not_sent_twice(room, alice):
    # A message can be saved before the catch-up reads the database but broadcast after.
    message = await Message.objects.acreate(room=room, author=alice, body="only once")
    tab = await open_socket(alice, query="?after=0")
    assert "only once" in (await receive_swap(tab, "messages"))["html"]
    await get_channel_layer().group_send(
        group_name(room), {"type": "chat.message", "id": message.pk, "frame": "{}"}
    )
    await receive_presence(tab)
    assert await tab.receive_nothing(timeout=0.2)
    await tab.disconnect()
