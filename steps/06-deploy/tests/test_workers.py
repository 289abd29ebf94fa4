import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import User
from chat import commands, presence
from chat.models import Message, Presence
from chat.routing import worker_channels
from chat.workers import CommandWorker, PresenceWorker

from .processes import STEP_DIR, django_env, free_port
from .websockets import (
    WAIT,
    assert_nothing_but_presence,
    bodies,
    htmx_payload,
    join,
    open_socket,
    presence_becomes,
    receive_error,
    receive_messages,
    receive_presence,
    receive_reply,
    receive_sent,
    receive_swap,
)

# The answers come from the real workers, in processes of their own.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("workers")]

ROLL = re.compile(r"^/roll 3d6 → \d \+ \d \+ \d = \d+$")


@pytest.fixture
async def lobby(room, alice, bob):
    """Alice and Bob in the lobby, each with a tab that has seen the other arrive."""
    await room.members.aadd(bob)
    alice_tab, bob_tab = await join(alice), await join(bob)
    await presence_becomes(alice_tab, ["alice", "bob"])
    yield alice_tab, bob_tab
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_help_answers_the_asker_only(lobby):
    alice_tab, bob_tab = lobby
    await alice_tab.send_json_to(htmx_payload("/help"))
    await receive_sent(alice_tab)
    assert (await receive_reply(alice_tab))[0] == "/help: this list"
    await assert_nothing_but_presence(bob_tab)


async def test_who_lists_each_user_once(lobby, alice):
    alice_tab, bob_tab = lobby
    second_tab = await join(alice)
    await second_tab.send_json_to(htmx_payload("/who"))
    await receive_sent(second_tab)
    assert await receive_reply(second_tab) == ["Here now: alice, bob"]
    await assert_nothing_but_presence(alice_tab)
    await second_tab.disconnect()


async def test_a_roll_is_a_numbered_message_everyone_sees(lobby):
    alice_tab, bob_tab = lobby
    await alice_tab.send_json_to(htmx_payload("/roll 3d6"))
    await receive_sent(alice_tab)
    for tab in (alice_tab, bob_tab):
        envelope = await receive_swap(tab, "messages")
        [body] = bodies(envelope["html"])
        assert ROLL.match(body)
        assert 'data-seq="1"' in envelope["html"]
        assert 'class="message command"' in envelope["html"]  # shown as no message can be
    saved = await Message.objects.select_related("author").aget()
    assert saved.author.username == "alice"
    assert ROLL.match(saved.body)


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/roll", "Roll dice like this: /roll 2d6"),
        ("/roll 2x6", "Roll dice like this: /roll 2d6"),
        ("/roll d6", "Roll dice like this: /roll 2d6"),
        ("/roll -1d6", "Roll dice like this: /roll 2d6"),
        ("/roll 0d6", "Roll 1 to 20 dice of 2 to 1000 sides."),
        ("/roll 21d6", "Roll 1 to 20 dice of 2 to 1000 sides."),
        ("/roll 2d1", "Roll 1 to 20 dice of 2 to 1000 sides."),
        ("/roll 2d1001", "Roll 1 to 20 dice of 2 to 1000 sides."),
    ],
)
async def test_a_bad_roll_gets_a_private_answer_and_saves_nothing(lobby, command, answer):
    alice_tab, bob_tab = lobby
    await alice_tab.send_json_to(htmx_payload(command))
    await receive_sent(alice_tab)
    assert await receive_reply(alice_tab) == [answer]
    await assert_nothing_but_presence(bob_tab)
    assert not await Message.objects.aexists()


@pytest.mark.parametrize("command", ["/nope", "/", "/ help", "/rolls 2d6"])
async def test_unknown_commands_are_refused_at_once(room, alice, command):
    tab = await join(alice)
    await tab.send_json_to(htmx_payload(command))
    assert await receive_error(tab) == "No such command: /help lists them."
    assert not await Message.objects.aexists()
    await tab.disconnect()


# Invisible characters first (zero-width space, word joiner, right-to-left mark) hide nothing.
@pytest.mark.parametrize("before", ["", " ", "\u200b", "\u2060\u200f"])
async def test_nobody_can_type_a_fake_roll(lobby, before):
    # Every message that starts with "/" is a command: a typed "result" is just a bad roll.
    alice_tab, _ = lobby
    await alice_tab.send_json_to(htmx_payload(f"{before}/roll 3d6 → 6 + 6 + 6 = 18"))
    await receive_sent(alice_tab)
    assert await receive_reply(alice_tab) == ["Roll dice like this: /roll 2d6"]
    assert not await Message.objects.aexists()


async def test_a_message_that_looks_like_a_roll_is_shown_as_a_message(lobby):
    alice_tab, _ = lobby
    # U+3164, a Hangul filler: a letter, so it stays, and it looks blank.
    await alice_tab.send_json_to(htmx_payload("\u3164/roll 1d6 → 6"))
    await receive_sent(alice_tab)
    envelope = await receive_swap(alice_tab, "messages")
    assert 'class="message"' in envelope["html"]


async def test_summary_counts_the_messages_per_author(lobby, room, alice, bob):
    alice_tab, _ = lobby
    for author, body in [(alice, "one"), (bob, "two"), (alice, "three")]:
        await database_sync_to_async(room.post)(author, body)
    await alice_tab.send_json_to(htmx_payload("/summary"))
    await receive_sent(alice_tab)
    assert await receive_reply(alice_tab) == ["3 messages", "alice: 2", "bob: 1"]


async def test_summary_lists_equal_counts_by_name(lobby, room, alice, bob):
    alice_tab, _ = lobby
    for author in (bob, alice):
        await database_sync_to_async(room.post)(author, "hi")
    await alice_tab.send_json_to(htmx_payload("/summary"))
    await receive_sent(alice_tab)
    assert await receive_reply(alice_tab) == ["2 messages", "alice: 1", "bob: 1"]


async def test_a_slow_job_holds_up_neither_the_chat_nor_the_quick_commands(lobby, workers):
    alice_tab, _ = lobby
    # The report worker busy with a long job, say a summary of years of history: here
    # stopped outright, so that nothing depends on how long a real one takes.
    reports = workers["reports"].process
    reports.send_signal(signal.SIGSTOP)
    try:
        await alice_tab.send_json_to(htmx_payload("/summary"))
        await alice_tab.send_json_to(htmx_payload("/roll 3d6"))
        await alice_tab.send_json_to(htmx_payload("still chatting"))
        # An answer to each frame, the chat and the roll, in any order...
        frames = [await alice_tab.receive_json_from(timeout=10) for _ in range(5)]
        answers = [frame for frame in frames if frame["events"] == {"chat:sent": {}}]
        assert len(answers) == 3
        others = [frame for frame in frames if frame not in answers]
        arrived = [body for frame in others for body in bodies(frame["html"])]
        assert "still chatting" in arrived
        assert any(ROLL.match(text) for text in arrived)
    finally:
        reports.send_signal(signal.SIGCONT)
    # ...and the summary once its worker goes on, since the job waited in Redis.
    assert await receive_reply(alice_tab) == ["2 messages", "alice: 2"]


async def send_job(channel, job):
    await get_channel_layer("workers").send(channel, job)


async def test_a_malformed_job_is_logged_and_dropped_and_the_worker_goes_on(lobby, workers):
    alice_tab, _ = lobby
    jobs = [
        ("chat-commands", {"no": "type"}),
        ("chat-commands", {"type": "command.run", "room": 1, "user": 1, "text": "/help"}),
        ("chat-commands", {"type": "chat.message", "id": "1", "seq": 1, "frame": "{}"}),
        ("chat-commands", {"type": "command.run", "id": "2"}),
        (
            "chat-commands",
            {"type": "command.run", "id": "3", "room": "x", "user": 1, "text": "/help"},
        ),
        ("chat-presence", {"type": "presence.changed"}),
        ("chat-reports", {"type": "presence.prune", "id": "4"}),
    ]
    for channel, job in jobs:
        await send_job(channel, job)
    # Still there, and answering in order after the bad jobs.
    for command in ("/help", "/summary"):
        await alice_tab.send_json_to(htmx_payload(command))
        await receive_sent(alice_tab)
        assert await receive_reply(alice_tab)
    logs = workers["worker"].log.read_text() + workers["reports"].log.read_text()
    assert "Dropped a message without a type from chat-commands: {'no': 'type'}" in logs
    assert "CommandWorker dropped a job without an id: {'type': 'command.run', 'room': 1" in logs
    assert "CommandWorker dropped a job it does not run: {'type': 'chat.message'" in logs
    assert "CommandWorker dropped a job that failed: {'type': 'command.run', 'id': '2'}" in logs
    assert "CommandWorker dropped a job that failed: {'type': 'command.run', 'id': '3'," in logs
    assert "PresenceWorker dropped a job that failed: {'type': 'presence.changed'}" in logs
    assert "CommandWorker dropped a job it does not run: {'type': 'presence.prune'" in logs
    assert all(process.process.poll() is None for process in workers.values())


def test_every_command_goes_to_a_channel_that_a_command_worker_reads():
    for command in commands.COMMANDS.values():
        assert worker_channels[command.worker].consumer_class is CommandWorker


@pytest.mark.parametrize(
    ("channel", "process", "elsewhere", "here", "answer"),
    [
        ("chat-reports", "reports", "/help", "/summary", "Nobody has written anything here yet."),
        ("chat-commands", "worker", "/summary", "/help", "/help: this list"),
    ],
)
async def test_a_worker_runs_only_the_commands_meant_for_its_channel(
    room, alice, workers, channel, process, elsewhere, here, answer
):
    layer = get_channel_layer()
    answers = await layer.new_channel()  # where the worker's answers go
    job = {"type": "command.run", "room": room.pk, "user": alice.pk, "reply_to": answers}
    refused = {**job, "id": "1", "text": elsewhere}
    await send_job(channel, refused)
    await send_job(channel, {**job, "id": "2", "text": here})
    log = f"CommandWorker dropped a command not meant for it: {refused!r}"
    await asyncio.to_thread(workers[process].wait_for_log, log)
    # The first answer is to the command meant for this worker: the other got none.
    async with asyncio.timeout(10):
        reply = await layer.receive(answers)
    assert answer in json.loads(reply["frame"])["html"]


async def test_a_job_that_reaches_a_worker_twice_runs_once(room, alice, workers):
    # As when the layer gives a job in flight to a second worker: the same id again.
    layer = get_channel_layer()
    answers = await layer.new_channel()  # where the worker's answers go
    job = {"type": "command.run", "room": room.pk, "user": alice.pk, "reply_to": answers}
    await send_job("chat-commands", {**job, "id": "1", "text": "/help"})
    await send_job("chat-commands", {**job, "id": "1", "text": "/help"})
    await send_job("chat-commands", {**job, "id": "2", "text": "/who"})
    # One worker reads the channel and runs its jobs in order: a second /help would
    # come before the answer to /who.
    async with asyncio.timeout(WAIT):
        first = await layer.receive(answers)
        second = await layer.receive(answers)
    assert "/help: this list" in json.loads(first["frame"])["html"]
    assert "Here now: " in json.loads(second["frame"])["html"]


async def test_a_job_whose_claim_fails_is_logged_and_dropped(room, alice, settings, caplog):
    # Redis does not answer the claim: here, a cache on a port where nothing listens.
    cache = settings.CACHES["default"]
    settings.CACHES = {"default": cache | {"LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    worker = CommandWorker()
    job = {"type": "command.run", "id": "1", "room": room.pk, "user": alice.pk, "text": "/help"}
    await worker.dispatch(job)  # returns: the worker goes on with its next job
    assert f"CommandWorker dropped a job that failed: {job!r}" in caplog.text


async def test_a_burst_of_arrivals_costs_each_member_few_presence_frames(room, alice):
    crowd = [await User.objects.acreate(username=f"guest{n:02}") for n in range(30)]
    for guest in crowd:
        await room.members.aadd(guest)
    alice_tab = await join(alice)
    started = time.monotonic()
    tabs = await asyncio.gather(*(open_socket(guest) for guest in crowd))
    frames = 1
    everyone = sorted(["alice", *(guest.username for guest in crowd)])
    while await receive_presence(alice_tab) != everyone:
        frames += 1
    last_frame = time.monotonic()
    # Lists still on their way count too: read them until the room has been quiet a while.
    while not await alice_tab.receive_nothing(timeout=10 * settings.CHAT_PRESENCE_COALESCE):
        assert await receive_presence(alice_tab) == everyone
        frames += 1
        last_frame = time.monotonic()
    took = last_frame - started
    # At most one list per coalescing interval, however slow the machine (plus alice's
    # own and one more at the end). How few that is depends on how fast 30 sockets open
    # here: the next test counts the lists for changes that come all at once.
    assert frames <= took / settings.CHAT_PRESENCE_COALESCE + 2
    for tab in [alice_tab, *tabs]:
        await tab.disconnect()


async def test_changes_that_come_at_once_cost_each_member_one_presence_frame(room, alice, settings):
    settings.CHAT_PRESENCE_COALESCE = 0.5  # as in production: ample to read every change
    crowd = [await User.objects.acreate(username=f"guest{n:02}") for n in range(30)]
    alice_tab = await join(alice)
    for n, guest in enumerate(crowd):
        await database_sync_to_async(presence.arrive)(room, guest, f"specific.crowd!{n}")
    # A presence worker of the test's own (the other one hears of none of these arrivals)
    # gets the 30 jobs one after the other, as Channels would hand them over.
    worker = PresenceWorker()
    worker.channel_layer = get_channel_layer()
    for _ in crowd:
        await worker.dispatch({"type": "presence.changed", "room": room.pk})
    everyone = sorted(["alice", *(guest.username for guest in crowd)])
    assert await receive_presence(alice_tab) == everyone
    assert await alice_tab.receive_nothing(timeout=2 * settings.CHAT_PRESENCE_COALESCE)
    await alice_tab.disconnect()


def tick_once(redis):
    """What cron or a systemd timer would run: one round of the periodic jobs."""
    env = django_env(redis, connection.settings_dict["NAME"])
    subprocess.run(
        [sys.executable, "manage.py", "tick", "--once"], cwd=STEP_DIR, env=env, check=True
    )


async def test_the_tick_prunes_a_socket_nobody_has_heard_from(room, alice, bob, redis):
    # Bob's socket was on a server process that died: its row stayed behind.
    await room.members.aadd(bob)
    long_ago = timezone.now() - timedelta(seconds=settings.CHAT_PRESENCE_TIMEOUT + 1)
    await Presence.objects.acreate(
        room=room, user=bob, channel_name="specific.dead!1", last_seen=long_ago
    )
    alice_tab = await open_socket(alice)
    await presence_becomes(alice_tab, ["alice", "bob"])
    await database_sync_to_async(tick_once)(redis)
    await presence_becomes(alice_tab, ["alice"])
    assert not await Presence.objects.filter(user=bob).aexists()
    await alice_tab.disconnect()


async def test_a_sync_keeps_a_socket_listed_and_brings_back_a_pruned_one(room, alice):
    tab = await join(alice)
    await Presence.objects.all().adelete()  # pruned while the page was asleep
    await tab.send_json_to({"kind": "sync", "after": 0})
    await receive_sent(tab)
    assert await receive_presence(tab) == ["alice"]
    assert await Presence.objects.acount() == 1
    await tab.disconnect()


async def test_a_sync_sends_the_messages_after_the_given_number(room, alice, bob):
    tab = await join(alice)
    for body in ("one", "two", "three"):
        await database_sync_to_async(room.post)(bob, body)
    # The broadcasts never happened (posted outside any consumer): only a sync finds them.
    await tab.send_json_to({"kind": "sync", "after": 1})
    assert await receive_messages(tab) == ["two", "three"]
    await receive_sent(tab)
    await tab.send_json_to({"kind": "sync", "after": 3})
    await receive_sent(tab)
    await assert_nothing_but_presence(tab)
    await tab.disconnect()


@pytest.mark.parametrize("after", [None, "1", -1, 1.5, True, 10**18, [1]])
async def test_a_bad_sync_gets_an_error(room, alice, after):
    tab = await join(alice)
    await tab.send_json_to({"kind": "sync", "after": after})
    assert await receive_error(tab) == "A sync names the newest message number on the page."
    await tab.disconnect()


async def test_a_full_worker_queue_is_an_error_and_a_warning(room, alice, monkeypatch, caplog):
    # A channel nobody reads, filled to the layer's capacity: the next job is refused.
    monkeypatch.setitem(commands.COMMANDS, "help", commands.Command("chat-nobody-reads", None))
    for _ in range(settings.CHANNEL_LAYERS["workers"]["CONFIG"]["capacity"]):
        await send_job("chat-nobody-reads", {"type": "command.run"})
    tab = await join(alice)
    await tab.send_json_to(htmx_payload("/help"))
    assert await receive_error(tab) == "Too busy for commands right now: try again in a moment."
    assert "Dropped a command.run job for chat-nobody-reads, whose queue is full" in caplog.text
    await tab.disconnect()
