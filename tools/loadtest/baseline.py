"""The baseline: the smallest honest broadcast server, with the `websockets` library and no
Django. Every text frame a client sends goes to every client, the sender included, as the
chat does; nothing is checked, saved or rendered.

    python baseline.py PORT
"""

import asyncio
import sys

from websockets.asyncio.server import broadcast, serve

clients = set()


async def chat(websocket):
    clients.add(websocket)
    try:
        async for frame in websocket:
            broadcast(clients, frame)
    finally:
        clients.discard(websocket)


async def main(port):
    # Uncompressed, as Daphne sends its frames: the same bytes for the same work.
    async with serve(chat, "127.0.0.1", port, max_size=2**16, compression=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
