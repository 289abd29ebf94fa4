"""`manage.py tick`: a clock for the periodic jobs, since Channels has no scheduler.

Every CHAT_PRUNE_EVERY seconds it sends the presence worker a job to prune the
sockets nobody has heard from; the work itself happens in the worker. Run one
(more only prune more often), or let cron or a systemd timer run `tick --once`.
"""

import asyncio
import logging

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand
from redis.exceptions import RedisError

from chat import presence

logger = logging.getLogger("chat.tick")


class Command(BaseCommand):
    help = "Send the periodic jobs to the workers, every CHAT_PRUNE_EVERY seconds."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="send them once, then stop")

    def handle(self, *args, once, **options):
        asyncio.run(self.tick(once))

    async def tick(self, once):
        layer = get_channel_layer("workers")
        while True:
            try:
                await layer.send(presence.WORKER, {"type": "presence.prune"})
            except (ChannelFull, RedisError) as error:
                logger.warning("Could not send the prune job (%r); next time, then", error)
            if once:
                return
            await asyncio.sleep(settings.CHAT_PRUNE_EVERY)
