import random

from asgiref.sync import async_to_sync
from channels.consumer import SyncConsumer


class DiceWorker(SyncConsumer):
    def dice_roll(self, job):
        text = f"rolled {random.randint(1, 6)}"
        reply = {"type": "chat.reply", "text": text}
        async_to_sync(self.channel_layer.send)(job["reply_to"], reply)


# Which worker reads which channel: `python manage.py runworker dice`.
worker_channels = {"dice": DiceWorker.as_asgi()}
