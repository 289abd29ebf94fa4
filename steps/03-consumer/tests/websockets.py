"""Helpers to talk to the real ASGI application the way a browser tab does.

The receive helpers take the next frame and fail the test if it is not the one
expected: a test must account for every frame its sockets get. Each waits up to
WAIT seconds: ample on a slow, busy laptop, and a passing test never waits it out.
"""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from backchat.asgi import application

HOST = "localhost"  # in ALLOWED_HOSTS
ORIGIN = f"http://{HOST}"  # what a page served from http://localhost sends
WAIT = 30  # seconds


async def next_output(communicator, awaited):
    """The next thing the socket gets (a frame or the close); if nothing comes within
    WAIT seconds, the test fails saying what it awaited."""
    try:
        return await communicator.receive_output(timeout=WAIT)
    except TimeoutError:
        pytest.fail(f"Waited {WAIT} s for {awaited}; nothing came.")


async def next_frame(communicator, awaited):
    """The next frame, decoded: the socket must not close instead."""
    output = await next_output(communicator, awaited)
    assert output["type"] == "websocket.send", f"expected {awaited}, got {output!r}"
    return json.loads(output["text"])


class Communicator(WebsocketCommunicator):
    """Channels' test client, which waits WAIT seconds, not one, for the handshake and,
    after a disconnect, for the consumer to finish."""

    async def connect(self, timeout=WAIT):
        return await super().connect(timeout)

    async def disconnect(self, code=1000, timeout=WAIT):
        await super().disconnect(code, timeout)


@database_sync_to_async
def log_in(user):
    """A test client logged in as `user`: like a browser, with a session of its own."""
    client = Client()
    client.force_login(user)
    return client


async def handshake(user=None, slug="lobby", *, browser=None, origin=ORIGIN, host=HOST):
    """Connect like a tab of `browser` (by default a new one logged in as `user`).

    Returns the communicator and whether the handshake was accepted.
    """
    if browser is None and user is not None:
        browser = await log_in(user)
    headers = [(b"host", host.encode()), (b"origin", origin.encode())]
    if browser is not None:
        cookie = browser.cookies[settings.SESSION_COOKIE_NAME]
        headers.append((b"cookie", f"{cookie.key}={cookie.value}".encode()))
    communicator = Communicator(application, f"/ws/rooms/{slug}/", headers=headers)
    accepted, _ = await communicator.connect()
    return communicator, accepted


async def open_socket(user=None, slug="lobby", **kwargs):
    """A socket past the handshake, which the consumer accepts even to close it."""
    communicator, accepted = await handshake(user, slug, **kwargs)
    assert accepted, "the handshake was refused"
    return communicator


async def receive(communicator, kind):
    """The next frame, which must be of this kind."""
    frame = await next_frame(communicator, f"a {kind!r} frame")
    assert frame["kind"] == kind, f"expected a {kind!r} frame, got {frame!r}"
    return frame


async def send_message(communicator, body):
    """Send a message as the page does; the server answers that it saved it."""
    await communicator.send_json_to({"kind": "message", "body": body})
    await receive(communicator, "sent")


async def receive_message(communicator):
    return (await receive(communicator, "message"))["message"]


async def receive_presence(communicator):
    return (await receive(communicator, "presence"))["users"]


async def receive_error(communicator):
    return (await receive(communicator, "error"))["error"]


async def assert_closed_with(communicator, code):
    """The next thing the socket gets is the close, with this code."""
    output = await next_output(communicator, f"the close with {code}")
    assert output == {"type": "websocket.close", "code": code}
