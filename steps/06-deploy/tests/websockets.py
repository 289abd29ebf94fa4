"""Helpers to talk to the real ASGI application the way a browser tab does.

The receive helpers take the next frame and fail the test if it is not the one
expected: a test must account for every frame its sockets get. One exception:
the presence worker broadcasts a room's list on its own schedule, so the helpers
for other frames step over presence lists on the way. Presence has tests of its own.
Each helper waits up to WAIT seconds: ample on a slow, busy laptop, and a passing
test never waits it out.
"""

import asyncio
import contextlib
import html
import json
import re

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


@contextlib.asynccontextmanager
async def deadline(awaited):
    """For a block that awaits something over several frames: if it takes more than WAIT
    seconds, the test fails saying what it awaited."""
    try:
        async with asyncio.timeout(WAIT):
            yield
    except TimeoutError:
        pytest.fail(f"Waited {WAIT} s for {awaited}.")


@database_sync_to_async
def log_in(user):
    """A test client logged in as `user`: like a browser, with a session of its own."""
    client = Client()
    client.force_login(user)
    return client


async def handshake(user=None, slug="lobby", *, browser=None, origin=ORIGIN, host=HOST, query=b""):
    """Connect like a tab of `browser` (by default a new one logged in as `user`).

    `query` is the raw query string, such as b"after=42". Returns the communicator
    and whether the handshake was accepted.
    """
    if browser is None and user is not None:
        browser = await log_in(user)
    headers = [(b"host", host.encode()), (b"origin", origin.encode())]
    if browser is not None:
        cookie = browser.cookies[settings.SESSION_COOKIE_NAME]
        headers.append((b"cookie", f"{cookie.key}={cookie.value}".encode()))
    communicator = Communicator(application, f"/ws/rooms/{slug}/", headers=headers)
    communicator.scope["query_string"] = query  # the bytes as sent, not only valid UTF-8
    accepted, _ = await communicator.connect()
    return communicator, accepted


async def open_socket(user=None, slug="lobby", **kwargs):
    """A socket past the handshake, which the consumer accepts even to close it."""
    communicator, accepted = await handshake(user, slug, **kwargs)
    assert accepted, "the handshake was refused"
    return communicator


def swaps_into(envelope, target):
    return f'id="{target}"' in envelope["html"].split(">", 1)[0]


async def receive_swap(communicator, target):
    """The next envelope (presence lists aside), whose HTML must swap into #target."""
    while True:
        envelope = await next_frame(communicator, f"a swap into #{target}")
        if target == "presence" or not swaps_into(envelope, "presence"):
            break
    assert swaps_into(envelope, target), f"expected a swap into #{target}, got {envelope!r}"
    return envelope


def text_of(fragment):
    """What a browser would show for this HTML: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split()


def bodies(fragment):
    """The message bodies in a #messages fragment, in order, as a browser shows them."""
    return [html.unescape(body) for body in re.findall(r"<p>(.*?)</p>", fragment, re.DOTALL)]


async def receive_sent(communicator):
    """The answer to a message that the server saved, or to a sync (presence lists aside)."""
    while True:
        envelope = await communicator.receive_json_from(timeout=2)
        if not swaps_into(envelope, "presence"):
            break
    assert envelope == {"html": "", "events": {"chat:sent": {}}}, f"expected sent, got {envelope!r}"


async def receive_messages(communicator):
    return bodies((await receive_swap(communicator, "messages"))["html"])


async def receive_presence(communicator):
    return text_of((await receive_swap(communicator, "presence"))["html"])


async def presence_becomes(communicator, usernames):
    """Wait until the list reads `usernames`; everything before must be presence lists."""
    async with deadline(f"the presence list {usernames}"):
        while await receive_presence(communicator) != usernames:
            pass


async def receive_reply(communicator):
    """A worker's private answer: the lines of its text."""
    envelope = await receive_swap(communicator, "messages")
    assert 'class="message reply"' in envelope["html"], envelope
    [text] = bodies(envelope["html"])
    return [html.unescape(line).strip() for line in text.split("<br>")]


async def receive_error(communicator):
    return " ".join(text_of((await receive_swap(communicator, "chat-error"))["html"]))


async def assert_closed_with(communicator, code):
    """The next thing the socket gets (presence lists aside) is the close, with this code."""
    while True:
        output = await next_output(communicator, f"the close with {code}")
        if output["type"] != "websocket.send":
            break
        assert swaps_into(json.loads(output["text"]), "presence"), output
    assert output == {"type": "websocket.close", "code": code}


async def assert_nothing_but_presence(communicator):
    """For a moment, the socket gets no frame but presence lists."""
    while not await communicator.receive_nothing(timeout=0.2):
        assert swaps_into(await communicator.receive_json_from(), "presence")


def htmx_payload(body):
    """What htmx's ws-send posts for our composer form."""
    return {"kind": "message", "body": body, "HEADERS": {"HX-Request": "true"}}


async def join(user, slug="lobby", **kwargs):
    """A socket in the room, once the presence list shows its user."""
    tab = await open_socket(user, slug, **kwargs)
    async with deadline(f"{user.username} in the presence list"):
        while user.username not in await receive_presence(tab):
            pass
    return tab
