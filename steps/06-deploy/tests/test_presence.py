from datetime import timedelta

import pytest
from django.utils import timezone

from chat import presence
from chat.models import Presence, Room

pytestmark = pytest.mark.django_db


def test_each_user_counts_once_until_their_last_socket_leaves(room, alice, bob):
    other = Room.objects.create(name="Other")
    presence.arrive(room, bob, "specific.a!1")
    presence.arrive(room, alice, "specific.a!2")
    presence.arrive(room, alice, "specific.b!3")  # another tab, on another server
    presence.arrive(other, alice, "specific.a!4")
    assert presence.usernames(room.pk) == ["alice", "bob"]
    assert presence.sockets_of(alice) == 3
    presence.leave("specific.a!2")
    assert presence.usernames(room.pk) == ["alice", "bob"]
    presence.leave("specific.b!3")
    presence.leave("specific.a!1")
    assert presence.usernames(room.pk) == []
    assert presence.usernames(other.pk) == ["alice"]


def test_leaving_twice_is_harmless(room, alice):
    presence.arrive(room, alice, "specific.a!1")
    presence.leave("specific.a!1")
    presence.leave("specific.a!1")
    assert presence.usernames(room.pk) == []


def test_prune_removes_only_the_sockets_not_heard_from(room, alice, bob, settings):
    presence.arrive(room, alice, "specific.a!1")
    presence.arrive(room, bob, "specific.a!2")
    long_ago = timezone.now() - timedelta(seconds=settings.CHAT_PRESENCE_TIMEOUT + 1)
    Presence.objects.filter(channel_name="specific.a!1").update(last_seen=long_ago)
    assert presence.prune() == {room.pk}
    assert presence.usernames(room.pk) == ["bob"]
    assert presence.prune() == set()


def test_touch_keeps_a_socket_and_brings_a_pruned_one_back(room, alice, settings):
    presence.arrive(room, alice, "specific.a!1")
    long_ago = timezone.now() - timedelta(seconds=settings.CHAT_PRESENCE_TIMEOUT + 1)
    Presence.objects.update(last_seen=long_ago)
    assert presence.touch(room, alice, "specific.a!1") is False  # still there: touched
    assert presence.prune() == set()
    presence.leave("specific.a!1")
    assert presence.touch(room, alice, "specific.a!1") is True  # pruned: back again
    assert presence.usernames(room.pk) == ["alice"]
