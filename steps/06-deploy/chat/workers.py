"""Background workers: consumers of named channels, run by `manage.py runworker`.

    python manage.py runworker --layer workers chat-commands chat-presence
    python manage.py runworker --layer workers chat-reports

backchat/asgi.py routes each channel to its worker. A job is a message sent to
the channel; its "type" names the method that runs it, as for group events, and
each worker lists the types it accepts in `jobs`. A job that is unknown or
malformed is logged and dropped: the worker carries on with the next one.
The jobs come from the "workers" layer; a worker's own `channel_layer` is the
default one, the sockets', where its answers and broadcasts must go.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.consumer import AsyncConsumer, SyncConsumer
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache

from . import commands, presence
from .consumers import room_group
from .fragments import messages_frame, presence_frame, reply_frame
from .models import Message, Room

logger = logging.getLogger(__name__)


# How long a claim outlives its job: far longer than a job waits in Redis.
CLAIM_SECONDS = 600


def claim(worker, job):
    """True for the first worker to claim this job, which runs it. The Redis layer may
    hand one job to two workers that read the same channel: before every read, a worker
    puts the jobs in flight back in the queue, and one may be another worker's.
    So a command job has an id, and adding it to the cache is one atomic Redis call."""
    job_id = job.get("id")
    if not isinstance(job_id, str):
        logger.error("%s dropped a job without an id: %r", type(worker).__name__, job)
        return False
    return cache.add(f"job-{job_id}", type(worker).__name__, CLAIM_SECONDS)


def handler_for(worker, job):
    """The worker's method for this job, or None (logged) if it does not run such jobs."""
    if not isinstance(job.get("type"), str) or job["type"] not in worker.jobs:
        logger.error("%s dropped a job it does not run: %r", type(worker).__name__, job)
        return None
    return getattr(worker, job["type"].replace(".", "_"))


class CommandWorker(SyncConsumer):
    """Runs the slash commands that commands.COMMANDS sends to the channel it reads.
    They use the ORM, so this is a sync consumer: Channels runs each job in a thread,
    and the job calls the channel layer through async_to_sync."""

    jobs = {"command.run"}

    @database_sync_to_async
    def dispatch(self, job):
        try:
            if not claim(self, job):
                return  # another worker runs it
            handler = handler_for(self, job)
            if handler:
                handler(job)
        except Exception:
            logger.exception("%s dropped a job that failed: %r", type(self).__name__, job)

    def command_run(self, job):
        name, args = commands.parse(job["text"])
        command = commands.COMMANDS.get(name)
        # The channel this job came in on, as routed: each command runs on its own only.
        if command is None or command.worker != self.scope["channel"]:
            logger.error("%s dropped a command not meant for it: %r", type(self).__name__, job)
            return
        # Time has passed since the consumer took the command: ask the database again.
        room = Room.objects.filter(pk=job["room"]).first()
        user = room.members.filter(pk=job["user"], is_active=True).first() if room else None
        if user is None:
            return  # the room, or the user's place in it, is gone
        answer = command.run(room, user, args)
        if isinstance(answer, Message):
            self.broadcast(answer)
        else:
            self.reply(job["reply_to"], answer)

    def broadcast(self, message):
        """Send a saved message to the whole room, numbered like any other."""
        async_to_sync(self.channel_layer.group_send)(
            room_group(message.room_id),
            {"type": "chat.message", "seq": message.seq, "frame": messages_frame([message])},
        )

    def reply(self, channel, text):
        """Send the text to one socket only: the one that asked."""
        async_to_sync(self.channel_layer.send)(
            channel, {"type": "chat.reply", "frame": reply_frame(text)}
        )


class PresenceWorker(AsyncConsumer):
    """Broadcasts who is in each room, at most once per CHAT_PRESENCE_COALESCE seconds
    per room however many people come and go, and prunes the sockets nobody has heard
    from. Its jobs mostly wait, so it is async: one waiting job blocks nothing."""

    jobs = {"presence.changed", "presence.prune"}

    def __init__(self):
        super().__init__()
        self.pending = set()  # the rooms whose list will be broadcast soon
        self.tasks = set()  # asyncio keeps only weak references to running tasks

    async def dispatch(self, job):
        handler = handler_for(self, job)
        try:
            if handler:
                await handler(job)
        except Exception:
            logger.exception("%s dropped a job that failed: %r", type(self).__name__, job)

    async def presence_changed(self, job):
        self.broadcast_soon(job["room"])

    async def presence_prune(self, job):
        for room_id in await database_sync_to_async(presence.prune)():
            self.broadcast_soon(room_id)

    def broadcast_soon(self, room_id):
        if room_id in self.pending:
            return  # the broadcast to come will include this change
        self.pending.add(room_id)
        task = asyncio.create_task(self.broadcast(room_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def broadcast(self, room_id):
        try:
            await asyncio.sleep(settings.CHAT_PRESENCE_COALESCE)
            self.pending.discard(room_id)  # a change from now on needs a broadcast of its own
            usernames = await database_sync_to_async(presence.usernames)(room_id)
            await self.channel_layer.group_send(
                room_group(room_id), {"type": "chat.presence", "frame": presence_frame(usernames)}
            )
        except Exception:
            logger.exception("Could not broadcast the presence in room %s", room_id)
