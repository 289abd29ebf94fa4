"""Helpers to talk to the real ASGI application, cookies and Origin included."""

import asyncio

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


async def open_socket(user=None, slug="lobby", origin="http://localhost"):
    """Connect like a browser tab would; returns the communicator."""
    headers = [(b"origin", origin.encode())]
    if user is not None:
        headers.append((b"cookie", (await session_cookie(user)).encode()))
    communicator = WebsocketCommunicator(application, f"/ws/rooms/{slug}/", headers=headers)
    await communicator.connect()
    return communicator


async def receive_kind(communicator, kind, timeout=2):
    """The next frame of this kind, skipping others (such as presence updates)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await communicator.receive_json_from(timeout=timeout)
            if frame["kind"] == kind:
                return frame
