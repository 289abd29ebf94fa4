"""The smallest consumer of step 03's page, tested in a copy of step 03 as
chat/minimal_consumer.py (tools/tests/test_examples.py puts it there)."""

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from chat.minimal_consumer import ChatConsumer
from chat.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

application = URLRouter([path("ws/rooms/<slug:slug>/", ChatConsumer.as_asgi())])


async def open_socket(user):
    socket = WebsocketCommunicator(application, "/ws/rooms/lobby/")
    socket.scope["user"] = user
    connected, _ = await socket.connect()
    assert connected
    return socket


async def test_every_socket_in_the_room_receives_each_saved_message(room, alice, bob):
    # bob is no member of the lobby: nothing checks that yet, as the page says.
    alice_tab, bob_tab = await open_socket(alice), await open_socket(bob)
    await alice_tab.send_json_to({"kind": "message", "body": "Hi Bob"})
    for tab in (alice_tab, bob_tab):
        frame = await tab.receive_json_from(timeout=10)
        assert frame["kind"] == "message"
        saved = await Message.objects.select_related("author").aget(pk=frame["message"]["id"])
        assert (saved.author, saved.body) == (alice, "Hi Bob")
        assert frame["message"]["author"] == "alice"
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_a_socket_that_left_receives_nothing_more(room, alice, bob):
    alice_tab, bob_tab = await open_socket(alice), await open_socket(bob)
    await bob_tab.disconnect()
    await alice_tab.send_json_to({"kind": "message", "body": "Anyone?"})
    assert (await alice_tab.receive_json_from(timeout=10))["message"]["body"] == "Anyone?"
    assert await bob_tab.receive_nothing(timeout=0.5)
    await alice_tab.disconnect()
