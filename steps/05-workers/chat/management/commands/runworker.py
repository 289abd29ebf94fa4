"""`manage.py runworker`: Channels' command, with a worker that does not give up.

Channels' own worker exits at the first Redis error, and stops reading a channel
at a message without a "type"; either way it answers nothing until restarted.
This one waits for Redis to come back, and drops such a message with a log line.
(Django finds this command first: `chat` is in INSTALLED_APPS, `channels` is not.)
"""

import asyncio
import logging

from channels.management.commands import runworker
from channels.worker import Worker
from redis.exceptions import RedisError

logger = logging.getLogger("chat.workers")

RETRY_AFTER = 2  # seconds between attempts to reach Redis


class SteadyWorker(Worker):
    async def listener(self, channel):
        while True:
            try:
                message = await self.channel_layer.receive(channel)
            except RedisError as error:
                logger.warning("Cannot read %s (%s); trying again soon", channel, error)
                await asyncio.sleep(RETRY_AFTER)
                continue
            if not isinstance(message.get("type"), str):
                logger.error("Dropped a message without a type from %s: %r", channel, message)
                continue
            scope = {"type": "channel", "channel": channel}
            await self.get_or_create_application_instance(channel, scope).put(message)


class Command(runworker.Command):
    worker_class = SteadyWorker

    def handle(self, *args, **options):
        logger.info("Reading jobs from %s", ", ".join(options["channels"]))
        super().handle(*args, **options)
