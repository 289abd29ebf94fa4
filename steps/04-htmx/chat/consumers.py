import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import presence
from .forms import MessageForm
from .fragments import error_frame, messages_frame, presence_frame
from .models import Message, Room
from .ratelimit import RateLimiter

# Close codes, 4000-4999 being free for applications; see the reference page.
NOT_LOGGED_IN = 4401
NOT_A_MEMBER = 4403
NO_SUCH_ROOM = 4404

# A page that missed more than this gets the recent history instead, as on a reload.
CATCH_UP_LIMIT = 100


def group_name(room):
    # Group names allow only ASCII letters, digits, "-", "_" and ".": a primary key is safe.
    return f"room-{room.pk}"


@database_sync_to_async
def catch_up(room, after):
    """The frame with the messages a page missed, and their ids."""
    missed = room.messages_after(after, limit=CATCH_UP_LIMIT + 1)
    if not missed:
        return None, set()
    swap = "beforeend"
    if len(missed) > CATCH_UP_LIMIT:
        missed, swap = room.recent_messages(), "innerHTML"
    return messages_frame(missed, swap), {message.pk for message in missed}


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """One websocket of one member in one room."""

    max_frame_chars = 4000
    rate_limit = 10  # frames...
    rate_period = 10  # ...per this many seconds
    room = None  # set once the user is known to be a member

    async def connect(self):
        # Accept first, then close with a code: a refused handshake reaches the
        # browser as a bare 1006 ("abnormal closure"), with no reason to show.
        await self.accept()
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=NOT_LOGGED_IN)
            return
        room = await Room.objects.filter(slug=self.scope["url_route"]["kwargs"]["slug"]).afirst()
        if room is None:
            await self.close(code=NO_SUCH_ROOM)
            return
        if not await room.members.filter(pk=user.pk).aexists():
            await self.close(code=NOT_A_MEMBER)
            return
        self.room = room
        self.group = group_name(room)
        self.limiter = RateLimiter(self.rate_limit, self.rate_period)
        # Join the group before reading what was missed, so no message falls in between.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_missed_messages()
        presence.arrive(room.pk, user.username)
        await self.broadcast_presence()

    async def send_missed_messages(self):
        """Catch the page up from the last message it has, named in ?after=<id>."""
        self.caught_up = set()
        after = parse_qs(self.scope["query_string"].decode()).get("after", [None])[0]
        if after is None:  # the client did not say what it has: nothing to catch up
            return
        if not (after.isascii() and after.isdigit()):
            await self.send_error("The ?after= parameter must be a message id.")
            return
        frame, self.caught_up = await catch_up(self.room, int(after))
        if frame:
            await self.send(text_data=frame)

    async def disconnect(self, code):
        if self.room is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        presence.leave(self.room.pk, self.scope["user"].username)
        await self.broadcast_presence()

    async def receive(self, text_data=None, bytes_data=None):
        """Check a raw frame before trusting it to be JSON; every frame counts for the rate."""
        if self.room is None:
            return
        if not self.limiter.allow():
            await self.send_error("Too many messages: wait a few seconds.")
        elif text_data is None:
            await self.send_error("Binary frames are not supported: send JSON text.")
        elif len(text_data) > self.max_frame_chars:
            await self.send_error(f"Frames are limited to {self.max_frame_chars} characters.")
        else:
            try:
                content = json.loads(text_data)
            except ValueError:
                await self.send_error("Frames must be valid JSON.")
            else:
                await self.receive_json(content)

    async def receive_json(self, content):
        # htmx sends the form's fields plus a HEADERS object, which we don't need.
        # The allow-list: a client names one of these kinds, never a method or a layer type.
        handlers = {"message": self.receive_message}
        kind = content.get("kind") if isinstance(content, dict) else None
        if not isinstance(kind, str) or kind not in handlers:
            await self.send_error('Send a JSON object such as {"kind": "message", "body": "Hi"}.')
            return
        await handlers[kind](content)

    async def receive_message(self, content):
        body = content.get("body", "")
        if not isinstance(body, str):
            await self.send_error("A message needs a text body.")
            return
        # The same form as the room page, so both give the same rules and error messages.
        form = MessageForm({"body": body})
        if not form.is_valid():
            await self.send_error(form.errors["body"][0])
            return
        message = await Message.objects.acreate(
            room=self.room, author=self.scope["user"], body=form.cleaned_data["body"]
        )
        # Saved first, rendered once, then broadcast: every member gets the finished frame.
        await self.channel_layer.group_send(
            self.group,
            {"type": "chat.message", "id": message.pk, "frame": messages_frame([message])},
        )

    async def broadcast_presence(self):
        users = presence.usernames(self.room.pk)
        await self.channel_layer.group_send(
            self.group, {"type": "chat.presence", "frame": presence_frame(users)}
        )

    async def send_error(self, error):
        await self.send(text_data=error_frame(error))

    # Handlers for group events; the layer calls them by the event's "type".

    async def chat_message(self, event):
        if event["id"] not in self.caught_up:  # else the catch-up has sent it already
            await self.send(text_data=event["frame"])

    async def chat_presence(self, event):
        await self.send(text_data=event["frame"])
