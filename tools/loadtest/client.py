"""The load test's clients: N websockets in one room, sending at a room-wide rate, every
delivery matched to its sender and number, so loss, duplicates and reordering are counted.

Each message's body is a token, `lt-<round>-<sender>-<number>-<sent at, ns>`: it survives
the app's HTML escaping, and the bare baseline server sends it back as it is. "Sent at" is
time.monotonic_ns(), one clock for every process of the machine (CLOCK_MONOTONIC on Linux),
so a client in one process can time a message sent from another (crowd.py).
"""

import asyncio
import json
import re
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

TOKEN = re.compile(r"lt-(\d+)-(\d+)-(\d+)-(\d+)")


@dataclass
class Tally:
    """What one round of sending saw."""

    clients: int
    round: int = 0  # the round's number, in every token it sends
    sent: int = 0
    latencies_ns: list = field(default_factory=list)
    delivered: int = 0  # every token that arrived, duplicates included
    duplicates: int = 0
    reordered: int = 0  # arrived after a later message of the same sender
    last_delivery: float = 0.0  # time.monotonic() of the newest delivery
    late: int = 0  # deliveries of an earlier round's messages, not counted in this one
    closed: int = 0  # sockets the server has closed so far: they get nothing more

    @property
    def expected(self):
        return self.sent * self.clients

    @property
    def unique(self):
        return self.delivered - self.duplicates

    @property
    def lost(self):
        return self.expected - self.unique


class Client:
    """One websocket. `tally` is the current round's, shared by every client."""

    def __init__(self, index, url, headers, source_address=None):
        self.index, self.url, self.headers = index, url, headers
        self.source_address = source_address
        self.tally = None
        self.newest = {}  # sender -> the highest number seen from it
        self.seen = set()  # (sender, number)
        self.socket = None
        self.closed = False  # by the server: this user sends nothing more, and gets nothing
        self.sent = 0

    async def open(self):
        """Connect; the seconds it took."""
        started = time.perf_counter()
        extra = {"local_addr": (self.source_address, 0)} if self.source_address else {}
        # No keepalive pings, as browsers send none: a server far behind would miss their
        # answers, and the client would close a socket that the server still serves.
        self.socket = await connect(
            self.url, additional_headers=self.headers, max_size=2**20, ping_interval=None, **extra
        )
        return time.perf_counter() - started

    async def receive(self):
        try:
            async for frame in self.socket:
                now = time.monotonic_ns()
                for round_, sender, number, sent_at in TOKEN.findall(frame):
                    self.count(int(round_), int(sender), int(number), int(sent_at), now)
        except ConnectionClosed:
            pass  # without a closing handshake (a server far behind may drop a socket so)
        self.closed = True  # what it would have received counts as lost

    def count(self, round_, sender, number, sent_at_ns, now_ns):
        tally = self.tally
        if round_ != tally.round:
            tally.late += 1
            return
        tally.delivered += 1
        tally.last_delivery = now_ns / 1e9
        if (sender, number) in self.seen:
            tally.duplicates += 1
            return
        self.seen.add((sender, number))
        tally.latencies_ns.append(now_ns - sent_at_ns)
        if number < self.newest.get(sender, 0):
            tally.reordered += 1
        self.newest[sender] = max(number, self.newest.get(sender, 0))

    async def send(self, payload):
        if self.closed:
            return
        self.sent += 1
        token = f"lt-{self.tally.round}-{self.index}-{self.sent}-{time.monotonic_ns()}"
        try:
            await self.socket.send(payload(token))
        except ConnectionClosed:
            self.closed = True  # not sent: nobody expects it
            return
        self.tally.sent += 1


def app_payload(token):
    """What the page's form sends over htmx: the fields, and htmx's headers we ignore."""
    return json.dumps({"kind": "message", "body": token, "HEADERS": {}})


def bare_payload(token):
    return token


async def send_at_rate(turns, rate, count, payload, started=None):
    """`count` messages at `rate` a second, spread evenly in time, from `started` (a
    time.monotonic(); now by default).

    `turns` is an endless cycle of the clients, kept from round to round: each client
    sends rate/N a second, which must stay within the app's own limit per user.
    """
    interval = 1 / rate
    started = time.monotonic() if started is None else started
    for i in range(count):
        delay = started + i * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await next(turns).send(payload)
