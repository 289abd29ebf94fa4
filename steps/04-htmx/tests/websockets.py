"""Helpers to talk to the real ASGI application, cookies and Origin included."""

import asyncio
import html
import re

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from backchat.asgi import application


@database_sync_to_async
def session_cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def open_socket(user=None, slug="lobby", origin="http://localhost", query=""):
    """Connect like a browser tab would; returns the communicator."""
    headers = [(b"origin", origin.encode())]
    if user is not None:
        headers.append((b"cookie", (await session_cookie(user)).encode()))
    communicator = WebsocketCommunicator(application, f"/ws/rooms/{slug}/{query}", headers=headers)
    await communicator.connect()
    return communicator


async def receive_swap(communicator, target, timeout=2):
    """The next envelope whose HTML swaps into #target, skipping other frames."""
    async with asyncio.timeout(timeout):
        while True:
            envelope = await communicator.receive_json_from(timeout=timeout)
            first_tag = envelope["html"].split(">", 1)[0]
            if f'id="{target}"' in first_tag:
                return envelope


def text_of(fragment):
    """What a browser would show for this HTML: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split()


async def receive_error(communicator):
    return " ".join(text_of((await receive_swap(communicator, "chat-error"))["html"]))


async def receive_presence(communicator):
    return text_of((await receive_swap(communicator, "presence"))["html"])
