"""The site as usual, except that every websocket is closed as soon as it opens.

This is what a browser sees from a server whose websocket code crashes on every
connection: Daphne accepts, the application fails, the socket closes with 1011.
"""

from tests.browser.asgi import application as site


async def application(scope, receive, send):
    if scope["type"] != "websocket":
        return await site(scope, receive, send)
    await receive()  # the handshake
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 1011})
