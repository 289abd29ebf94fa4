"""The two-layer setup: the sockets on the pub/sub layer, the workers' channels on the core
layer (backchat/settings.py), with real Redis, Daphnes and workers in processes of their own."""

import asyncio
import html
import itertools
import json
import re
import time

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils.module_loading import import_string
from websockets.asyncio.client import connect

from accounts.models import User

from .processes import WORKER, Daphne, Redis, django_env, manage

MESSAGE = re.compile(
    r'<article class="message(?: command)?" id="message-\d+" data-seq="(\d+)">\s*'
    r'<strong class="author">([^<]*)</strong>.*?<p>(.*?)</p>',
    re.DOTALL,
)


def parse(frame):
    """A frame as the test compares it: ("presence", [usernames]), ("messages",
    [(seq, author, body)]), ("reply", text), ("error", text) or ("sent", None)."""
    fragment = json.loads(frame)["html"]
    if not fragment:  # the answer to the sender: its message is saved
        return "sent", None
    target = re.match(r'<\w+ id="([\w-]+)"', fragment)[1]
    text = html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()
    if target == "presence":
        return "presence", text.split()
    if target == "chat-error":
        return "error", text
    if 'class="message reply"' in fragment:
        return "reply", html.unescape(re.search(r"<p>(.*?)</p>", fragment, re.DOTALL)[1])
    found = MESSAGE.findall(fragment)
    return "messages", [(int(seq), html.unescape(a), html.unescape(b)) for seq, a, b in found]


pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE = 60  # seconds for each thing the test waits for: far more than a busy machine needs


@pytest.fixture
def two_layers(tmp_path):
    """The environment of processes whose sockets' layer is the pub/sub one, on a Redis
    of their own: the session's workers, on the tests' Redis, must not take their jobs."""
    redis = Redis(tmp_path)
    redis.start()
    env = django_env(redis, connection.settings_dict["NAME"], BACKCHAT_TEST_SOCKETS_LAYER="pubsub")
    yield env, tmp_path, redis
    redis.stop()


def start_all(processes):
    """Start them; stop them all if one fails to start (the test's finally stops the rest)."""
    for process in processes:
        process.start()
    for process in processes:
        if process.name.startswith("worker"):
            process.wait_for_log("Reading jobs from")


def stop_all(processes):
    for process in processes:
        process.stop()


def jobs_in(log, kind):
    """The numbers of the jobs of `kind` that a worker's log says it took."""
    return [int(n) for n in re.findall(rf"'type': '{kind}', 'n': (\d+)", log.read_text())]


async def test_two_workers_share_the_jobs_and_each_job_reaches_one(two_layers):
    env, logs, redis = two_layers
    workers = [manage(f"worker{i}", logs, env, *WORKER, "chat-commands") for i in (1, 2)]
    try:
        start_all(workers)
        # A job neither runs, so each logs the jobs it took; one at a time, until both
        # have taken some (a worker still starting up takes none).
        # The "workers" layer as the settings make it, on this test's own Redis.
        workers_layer = settings.CHANNEL_LAYERS["workers"]
        layer = import_string(workers_layer["BACKEND"])(
            **{**workers_layer["CONFIG"], "hosts": [redis.url]}
        )
        sent = itertools.count()
        deadline = time.monotonic() + DEADLINE
        while not all(jobs_in(worker.log, "job.counted") for worker in workers):
            assert time.monotonic() < deadline, f"both workers took no job within {DEADLINE} s"
            n = next(sent)
            await layer.send("chat-commands", {"type": "job.counted", "n": n, "id": str(n)})
            await asyncio.sleep(0.02)
        total, deadline = next(sent), time.monotonic() + DEADLINE
        while sum(len(jobs_in(worker.log, "job.counted")) for worker in workers) < total:
            assert time.monotonic() < deadline, f"the workers did not log {total} jobs in time"
            await asyncio.sleep(0.05)
        taken = [jobs_in(worker.log, "job.counted") for worker in workers]
        # Every job once, in one worker only: a layer that broadcast them would log each
        # twice, and so would the core layer now and then without the workers' claim.
        assert sorted(taken[0] + taken[1]) == list(range(total))
    finally:
        stop_all(workers)


@database_sync_to_async
def members(room, names):
    """Users who are members of `room`, each with the session cookie of a logged-in browser."""
    cookies = {}
    for name in names:
        user = User.objects.create_user(name)
        room.members.add(user)
        client = Client()
        client.force_login(user)
        cookies[name] = f"sessionid={client.cookies['sessionid'].value}"
    return cookies


class Member:
    """One member's socket, on one of the Daphnes; keeps every frame it gets, parsed."""

    def __init__(self, name, socket):
        self.name, self.socket = name, socket
        self.messages, self.replies, self.presence = [], [], []
        self.answered = 0  # frames of ours the server took

    async def send(self, body):
        await self.socket.send(json.dumps({"kind": "message", "body": body}))

    async def say_five(self):
        for n in range(5):
            await self.send(f"{self.name} says {n}")

    async def read_until(self, done, what):
        """Read frames until done() is true, within DEADLINE."""
        try:
            async with asyncio.timeout(DEADLINE):
                while not done():
                    self.keep(await self.socket.recv())
        except TimeoutError:
            pytest.fail(f"{self.name} did not get {what} within {DEADLINE} s")

    def keep(self, frame):
        kind, content = parse(frame)
        if kind == "messages":
            self.messages += content
        elif kind == "reply":
            self.replies.append(content)
        elif kind == "presence":
            self.presence = content
        elif kind == "sent":
            self.answered += 1
        else:
            pytest.fail(f"{self.name} got {kind}: {content}")


async def test_every_member_on_either_daphne_gets_every_message_once_in_order(room, two_layers):
    env, logs, _ = two_layers
    names = [f"member{i}" for i in range(6)]
    cookies = await members(room, names)
    daphnes = [Daphne(logs, env, app="backchat.asgi:application") for _ in range(2)]
    workers = [manage("worker", logs, env, *WORKER, "chat-commands", "chat-presence")]
    try:
        start_all(daphnes + workers)
        everyone = []
        for name, daphne in zip(names, itertools.cycle(daphnes)):  # alternately on each
            url = daphne.url.replace("http", "ws", 1) + "/ws/rooms/lobby/"
            headers = {"Origin": daphne.url, "Cookie": cookies[name]}
            socket = await connect(url, additional_headers=headers, open_timeout=DEADLINE)
            everyone.append(Member(name, socket))
        # Each is in the room's group once the presence list shows everyone.
        for member in everyone:
            await member.read_until(lambda m=member: m.presence == sorted(names), "everyone")
        senders = everyone[:3]  # on both Daphnes
        await asyncio.gather(*(sender.say_five() for sender in senders))  # all at once
        await senders[0].send("/roll 2d6")  # broadcast by the worker
        await senders[1].send("/help")  # answered by the worker, to the asker only
        for member in everyone:
            await member.read_until(lambda m=member: len(m.messages) >= 16, "16 messages")
        await senders[1].read_until(lambda: senders[1].replies, "the answer to /help")
        # Last, a message that marks the end: anything twice would have come before it.
        await senders[2].send("the end")
        for member in everyone:
            await member.read_until(
                lambda m=member: m.messages[-1][2] == "the end", "the last message"
            )
        for member in everyone:
            seqs = [seq for seq, _, _ in member.messages]
            assert sorted(seqs) == list(range(1, 18)), member.name  # each once
            for sender in senders:  # and each sender's in the order sent
                bodies = [body for _, author, body in member.messages if author == sender.name]
                assert bodies[:5] == [f"{sender.name} says {n}" for n in range(5)], member.name
            assert any(body.startswith("/roll 2d6") for _, _, body in member.messages)
        assert senders[1].replies[0].startswith("/help: this list")
        assert all(not member.replies for member in everyone if member is not senders[1])
        # Every frame sent was taken: five messages each, a command, and "the end".
        assert [sender.answered for sender in senders] == [6, 6, 6]
        for member in everyone:
            await member.socket.close()
    finally:
        stop_all(daphnes + workers)
