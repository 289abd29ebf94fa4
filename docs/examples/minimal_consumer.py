from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import Message, Room


@database_sync_to_async
def save_message(room, user, body):
    message = Message.objects.create(room=room, author=user, body=body)
    return {
        "id": message.pk,
        "author": user.username,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        slug = self.scope["url_route"]["kwargs"]["slug"]
        self.room = await Room.objects.aget(slug=slug)
        self.group = f"room-{self.room.pk}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def receive_json(self, content):
        message = await save_message(self.room, self.scope["user"], content["body"])
        event = {"type": "chat.message", "message": message}
        await self.channel_layer.group_send(self.group, event)

    async def chat_message(self, event):
        await self.send_json({"kind": "message", "message": event["message"]})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)
