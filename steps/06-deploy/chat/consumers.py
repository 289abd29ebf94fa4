import asyncio
import hashlib
import json
import logging
import time
import unicodedata
import uuid
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from redis.exceptions import RedisError

from . import commands, limits, overload, presence
from .forms import MessageForm
from .fragments import error_frame, messages_frame, sent_frame
from .models import Room

logger = logging.getLogger(__name__)

# Close codes, like HTTP statuses plus 4000 (Daphne sends only 1000 and 3000-4999).
# Every close below and in chat/signals.py uses one of these.
NOT_LOGGED_IN = 4401  # also after logging out, or being deactivated or deleted
REMOVED = 4403  # removed from the room while connected
NO_ACCESS = 4404  # no such room, or not a member: the two look the same
TOO_MANY_MESSAGES = 4429  # kept sending after the warnings
TOO_MANY_SOCKETS = 4503  # this user has too many sockets open: try again later
TRY_AGAIN = 4500  # Redis failed: the page reconnects, and resends what was not saved

# A page that missed more than this gets the recent history instead, as on a reload.
CATCH_UP_LIMIT = 100
MAX_SEQ_DIGITS = 18  # more than any room will reach, and within every database's range


# Group names allow only ASCII letters, digits, "-", "_" and ".": primary keys are safe.
def room_group(room_id):
    return f"room-{room_id}"


def user_group(user_id):
    return f"user-{user_id}"


def without_leading_format_characters(text):
    """Drop invisible characters (zero-width spaces, direction marks...) before the first
    visible one, so that "\u200b/roll" is a command, not a message that looks like one."""
    visible = 0
    while visible < len(text) and unicodedata.category(text[visible]) in ("Cf", "Cc", "Zs"):
        visible += 1
    return text[visible:]


def session_id(session_key):
    # A session key is a password: events name the session by a digest of it instead.
    return hashlib.sha256(session_key.encode()).hexdigest()


@database_sync_to_async
def catch_up(room, after):
    """The frame with the messages a page missed, and their numbers."""
    missed = room.messages_after(after, limit=CATCH_UP_LIMIT + 1)
    if not missed:
        return None, set()
    swap = "beforeend"
    if len(missed) > CATCH_UP_LIMIT:
        missed, swap = room.recent_messages(), "innerHTML"
    return messages_frame(missed, swap), {message.seq for message in missed}


@database_sync_to_async
def save_message(room, user, body):
    """Check, validate, save and render one message; return its number and its frame.

    Plain synchronous Django, so it runs in a worker thread, away from the event loop.
    Raises PermissionDenied if the user lost access, ValidationError for a bad body.
    """
    if not room.members.filter(pk=user.pk, is_active=True).exists():
        raise PermissionDenied
    # The same form as the room page, so both give the same rules and error messages.
    form = MessageForm({"body": body})
    if not form.is_valid():
        raise ValidationError(form.errors["body"])
    message = room.post(user, form.cleaned_data["body"])
    return message.seq, messages_frame([message])


class ChatConsumer(AsyncWebsocketConsumer):
    """One websocket of one member in one room."""

    max_frame_chars = 4000
    room = None  # set once the user is known to be a member; None again after leaving

    async def __call__(self, scope, receive, send):
        # Channels reads the next frame only once the last one is handled. Read each
        # one as it comes instead, and stamp it: after a stall (a locked database, say)
        # the frames that waited count for the rate from when they arrived, not all at once.
        arrivals = asyncio.Queue()

        async def stamp_arrivals():
            while True:
                message = await receive()
                await arrivals.put({**message, "arrived": time.time()})

        stamping = asyncio.create_task(stamp_arrivals())
        # disconnect() runs when the socket closes, but not when a handler crashes:
        # leave on every way out, so nobody stays listed in the room as a ghost.
        try:
            await super().__call__(scope, arrivals.get, send)
        except RedisError:
            # In the layer, the limits or presence: close with a code the page retries;
            # it puts back whatever it sent that was not answered "sent".
            logger.exception("Redis failed: closing a socket so that its page reconnects")
            await self.close(code=TRY_AGAIN)
        finally:
            stamping.cancel()
            await self.leave()

    async def connect(self):
        # Accept first, then close with a code: a refused handshake reaches the
        # browser as a bare 1006 ("abnormal closure"), with no reason to show.
        await self.accept()
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=NOT_LOGGED_IN)
            return
        slug = self.scope["url_route"]["kwargs"]["slug"]
        room = await Room.objects.filter(slug=slug, members=user).afirst()
        if room is None:
            await self.close(code=NO_ACCESS)
            return
        if await database_sync_to_async(presence.sockets_of)(user) >= limits.SOCKETS_PER_USER:
            await self.close(code=TOO_MANY_SOCKETS)
            return
        # From here on, leave() undoes all of this.
        self.room = room
        self.session = session_id(self.scope["session"].session_key)
        self.caught_up = set()
        await database_sync_to_async(presence.arrive)(room, user, self.channel_name)
        await self.channel_layer.group_add(room_group(room.pk), self.channel_name)
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        # Joined before reading what was missed, so no message falls in between.
        await self.send_missed_messages()
        await self.presence_changed(room)

    async def send_missed_messages(self):
        """Catch the page up from the newest message it has, named in ?after=<number>."""
        query = parse_qs(self.scope["query_string"].decode("latin-1"))
        after = query.get("after", [None])[0]
        if after is None:  # the client did not say what it has: nothing to catch up
            return
        if not (after.isascii() and after.isdigit() and len(after) <= MAX_SEQ_DIGITS):
            await self.send_error("The ?after= parameter must be a message number.")
            return
        await self.send_messages_after(int(after))

    async def send_messages_after(self, after):
        frame, self.caught_up = await catch_up(self.room, after)
        if frame:
            await self.send(text_data=frame)

    async def disconnect(self, code):
        await self.leave()

    async def leave(self):
        """Leave the room: groups, presence, limits. Does nothing the second time."""
        if self.room is None:
            return
        room, self.room = self.room, None
        user = self.scope["user"]
        # The database first: if Redis is down, the calls below fail, but nobody stays listed.
        await database_sync_to_async(presence.leave)(self.channel_name)
        await self.channel_layer.group_discard(room_group(room.pk), self.channel_name)
        await self.channel_layer.group_discard(user_group(user.pk), self.channel_name)
        await self.presence_changed(room)

    async def leave_and_close(self, code):
        await self.leave()
        await self.close(code=code)

    async def websocket_receive(self, message):
        self.arrived = message["arrived"]  # stamped in __call__
        await super().websocket_receive(message)

    async def receive(self, text_data=None, bytes_data=None):
        """Check a raw frame before trusting it to be JSON; every frame counts for the rate."""
        if self.room is None:  # refused, or on the way out: nothing more is accepted
            return
        user_id = self.scope["user"].pk
        if not await limits.allow_frame(user_id, self.arrived):
            if not await limits.allow_refusal(user_id, self.arrived):  # warned enough: a flood
                await self.leave_and_close(TOO_MANY_MESSAGES)
            else:
                await self.send_error("Too many messages: wait a few seconds.")
        elif text_data is None:
            await self.send_error("Binary frames are not supported: send JSON text.")
        elif len(text_data) > self.max_frame_chars:
            await self.send_error(f"Frames are limited to {self.max_frame_chars} characters.")
        else:
            try:
                content = json.loads(text_data)
            except (ValueError, RecursionError):  # RecursionError: [[[[...]]]] nested deep
                await self.send_error("Frames must be valid JSON.")
            else:
                await self.receive_json(content)

    async def receive_json(self, content):
        # htmx sends the form's fields plus a HEADERS object, which we don't need.
        # The allow-list: a client names one of these kinds, never a method or a layer type.
        handlers = {"message": self.receive_message, "sync": self.receive_sync}
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
        try:
            body.encode()
        except UnicodeEncodeError:  # a lone surrogate such as \udc00: valid JSON, not text
            await self.send_error("This message has a broken character: type it again.")
            return
        body = without_leading_format_characters(body)
        if body.strip().startswith("/"):
            await self.run_command(body.strip())
            return
        try:
            seq, frame = await save_message(self.room, self.scope["user"], body)
        except ValidationError as error:
            await self.send_error(error.messages[0])
            return
        except PermissionDenied:
            await self.leave_and_close(REMOVED)
            return
        except DatabaseError:
            logger.exception("Could not save a message in room %s", self.room.pk)
            await self.send_error("Your message could not be saved. Please send it again.")
            return
        # Saved: the page may forget the text it kept in case the message was lost.
        await self.send(text_data=sent_frame())
        # Saved first, rendered once, then broadcast: every member gets the finished frame.
        await self.channel_layer.group_send(
            room_group(self.room.pk), {"type": "chat.message", "seq": seq, "frame": frame}
        )

    async def run_command(self, text):
        """Hand a slash command to the worker that runs it; the answer comes from there."""
        name, _args = commands.parse(text)
        command = commands.COMMANDS.get(name)
        if command is None:
            await self.send_error("No such command: /help lists them.")
            return
        job = {
            "type": "command.run",
            "id": uuid.uuid4().hex,  # the workers claim it by this (chat/workers.py)
            "room": self.room.pk,
            "user": self.scope["user"].pk,
            "reply_to": self.channel_name,
            "text": text,
        }
        if not await self.hand_over(command.worker, job):
            await self.send_error("Too busy for commands right now: try again in a moment.")
            return
        await self.send(text_data=sent_frame())  # the worker has it

    async def receive_sync(self, content):
        """The page is still there, and has every message up to number `after`."""
        after = content.get("after")
        if type(after) is not int or not 0 <= after < 10**MAX_SEQ_DIGITS:
            await self.send_error("A sync names the newest message number on the page.")
            return
        user = self.scope["user"]
        if await database_sync_to_async(presence.touch)(self.room, user, self.channel_name):
            await self.presence_changed(self.room)  # pruned while the page was asleep
        await self.send_messages_after(after)
        await self.send(text_data=sent_frame())  # answered: the page knows the server is alive

    async def presence_changed(self, room):
        # The presence worker broadcasts the list, at most a few times a second per room.
        await self.hand_over(presence.WORKER, {"type": "presence.changed", "room": room.pk})

    async def hand_over(self, channel, job):
        """Send a job to a worker channel; False if its queue is full."""
        try:
            # The workers' layer (backchat/settings.py), not this socket's.
            await get_channel_layer("workers").send(channel, job)
        except ChannelFull:
            overload.dropped(f"a {job['type']} job for {channel}, whose queue is full")
            return False
        return True

    async def send_error(self, error):
        await self.send(text_data=error_frame(error))

    # Handlers for group events; the layer calls them by the event's "type".

    async def dispatch(self, message):
        # Before every handler, Channels closes stale database connections, in the
        # thread that runs the database work: a trip there and back for each event.
        # The events that only pass a finished frame on never touch the database.
        forward = {
            "chat.message": self.chat_message,
            "chat.presence": self.chat_presence,
            "chat.reply": self.chat_reply,
        }.get(message["type"])
        if forward:
            await forward(message)
        else:
            await super().dispatch(message)

    async def chat_message(self, event):
        # Nothing more goes out once the socket left, nor what the catch-up has sent.
        if self.room is not None and event["seq"] not in self.caught_up:
            await self.send(text_data=event["frame"])

    async def chat_presence(self, event):
        if self.room is not None:
            await self.send(text_data=event["frame"])

    async def chat_reply(self, event):
        """A worker's answer to this socket only (sent to its channel, not to a group)."""
        if self.room is not None:
            await self.send(text_data=event["frame"])

    async def access_revoked(self, event):
        """Sent by chat/signals.py when this user loses access to a room, or to all."""
        if self.room is None or event["room"] not in (None, self.room.pk):
            return
        if event["session"] not in (None, self.session):
            return
        await self.leave_and_close(event["code"])


class NoRouteConsumer(AsyncWebsocketConsumer):
    """Any other /ws/ path: refused like a room that does not exist, not with an error."""

    async def connect(self):
        await self.accept()
        await self.close(code=NO_ACCESS)
