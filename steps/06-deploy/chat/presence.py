"""Who has a room open: one row per open socket, shared by every process.

The same design as the django-channels-presence library: a row per socket with
the time we last heard from it, a heartbeat that touches it, and a periodic job
that removes the rows nobody has touched for a while (their server process died
before it could say goodbye). These are synchronous ORM functions: from async
code, call them through database_sync_to_async.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Presence

# The worker channel that broadcasts presence (chat/workers.py).
WORKER = "chat-presence"


def arrive(room, user, channel_name):
    Presence.objects.create(
        room=room, user=user, channel_name=channel_name, last_seen=timezone.now()
    )


def leave(channel_name):
    Presence.objects.filter(channel_name=channel_name).delete()


def touch(room, user, channel_name):
    """The socket is alive: note the time. True if it had been pruned, and is back."""
    _, created = Presence.objects.update_or_create(
        channel_name=channel_name,
        defaults={"last_seen": timezone.now()},
        create_defaults={"room": room, "user": user, "last_seen": timezone.now()},
    )
    return created


def prune():
    """Remove the sockets nobody has heard from for too long; return their rooms' ids."""
    too_old = timezone.now() - timedelta(seconds=settings.CHAT_PRESENCE_TIMEOUT)
    stale = Presence.objects.filter(last_seen__lt=too_old)
    room_ids = set(stale.values_list("room_id", flat=True))
    stale.delete()
    return room_ids


def usernames(room_id):
    """Who is in the room, sorted, each user once however many sockets they have."""
    present = Presence.objects.filter(room_id=room_id).order_by("user__username")
    return list(present.values_list("user__username", flat=True).distinct())


def sockets_of(user):
    return Presence.objects.filter(user=user).count()
