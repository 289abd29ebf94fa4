"""Close the sockets of people who lose access, the moment they lose it.

A consumer checks who may chat when its socket connects. These receivers tell
the open sockets when that changes: a log-out, a new password, a removal from
the room, a deactivated or deleted account, a deleted room. chat/apps.py
connects them.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from .consumers import NO_ACCESS, NOT_LOGGED_IN, REMOVED, room_group, session_id, user_group
from .models import Room

User = get_user_model()


def close_sockets(group, code, room=None, session=None):
    """Close the sockets in `group` (only those in `room` or of `session`, if given)."""
    event = {"type": "access.revoked", "code": code, "room": room, "session": session}
    # Once the change is committed: a rolled-back change revokes nothing.
    transaction.on_commit(lambda: async_to_sync(get_channel_layer().group_send)(group, event))


@receiver(user_logged_out)
def logged_out(sender, request, user, **kwargs):
    # Only this browser's sockets: the user may still be logged in elsewhere.
    if user is not None:
        session = session_id(request.session.session_key)
        close_sockets(user_group(user.pk), NOT_LOGGED_IN, session=session)


@receiver(pre_save, sender=User)
def note_password_change(sender, instance, **kwargs):
    # Compare with the stored hash now: once saved, the old one is gone.
    stored = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance.password_changed = stored not in (None, instance.password)


@receiver(post_save, sender=User)
def deactivated_or_new_password(sender, instance, **kwargs):
    # A new password logs every session out over HTTP (Django checks a hash of the
    # password in each session), so it closes every socket too.
    if not instance.is_active or instance.password_changed:
        close_sockets(user_group(instance.pk), NOT_LOGGED_IN)


@receiver(post_delete, sender=User)
def user_deleted(sender, instance, **kwargs):
    close_sockets(user_group(instance.pk), NOT_LOGGED_IN)


@receiver(m2m_changed, sender=Room.members.through)
def members_removed(sender, instance, action, reverse, pk_set, **kwargs):
    # reverse: user.rooms.remove(room) instead of room.members.remove(user).
    if action == "pre_clear":  # clear() names nobody: find who is about to go
        related = instance.rooms if reverse else instance.members
        pk_set = set(related.values_list("pk", flat=True))
    elif action != "post_remove":
        return
    for pk in pk_set:
        user_id, room_id = (instance.pk, pk) if reverse else (pk, instance.pk)
        close_sockets(user_group(user_id), REMOVED, room=room_id)


@receiver(post_delete, sender=Room)
def room_deleted(sender, instance, **kwargs):
    close_sockets(room_group(instance.pk), NO_ACCESS)
