"""The site as usual, except that websockets fail.

`application`: every websocket is closed as soon as it opens. This is what a browser
sees from a server whose websocket code crashes on every connection: Daphne accepts,
the application fails, the socket closes with 1011.

`crash_on_first_frame`: the first socket takes one frame, then fails the same way
without answering it, as when Redis dies under a consumer; later sockets work.
"""

from tests.browser.asgi import application as site


async def application(scope, receive, send):
    if scope["type"] != "websocket":
        return await site(scope, receive, send)
    await receive()  # the handshake
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 1011})


crashed = False


async def crash_on_first_frame(scope, receive, send):
    global crashed
    if scope["type"] != "websocket" or crashed:
        return await site(scope, receive, send)
    crashed = True
    await receive()  # the handshake
    await send({"type": "websocket.accept"})
    await receive()  # a frame, lost
    await send({"type": "websocket.close", "code": 1011})
