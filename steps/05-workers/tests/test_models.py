import threading

import pytest
from django.db import connection, transaction

from chat.models import Message, Room

pytestmark = pytest.mark.django_db


def test_slug_is_the_name_and_a_random_suffix():
    slug = Room.objects.create(name="Django & Friends").slug
    assert slug.startswith("django-friends-")
    assert len(slug) == len("django-friends-") + 6


def test_a_taken_name_gives_a_slug_like_any_other():
    # The slug of a new room must not tell whether a room of that name exists.
    first, second = Room.objects.create(name="Secret"), Room.objects.create(name="Secret")
    assert first.slug != second.slug
    assert len(first.slug) == len(second.slug) == len("secret-") + 6


def test_name_without_ascii_letters_still_gets_a_slug():
    assert Room.objects.create(name="日本語").slug.startswith("room-")


def test_long_names_make_slugs_that_fit():
    assert len(Room.objects.create(name="x" * 80).slug) <= 50


def test_slug_never_has_two_hyphens_in_a_row():
    name = "a" * 39 + " b"  # slugify gives 39 a's, "-", "b": cut at 40, a hyphen ends it
    assert "--" not in Room.objects.create(name=name).slug


def test_saving_again_keeps_the_slug(room):
    room.name = "Renamed"
    room.save()
    room.refresh_from_db()
    assert room.slug == "lobby"


def test_absolute_url_uses_the_slug(room):
    assert room.get_absolute_url() == "/rooms/lobby/"


def test_every_room_gets_its_own_unguessable_invite_code():
    codes = {Room.objects.create(name="Lobby").invite_code for _ in range(20)}
    assert len(codes) == 20
    assert all(len(code) == 22 for code in codes)  # 128 random bits, URL-safe base64


def test_invite_url_uses_the_code(room):
    assert room.get_invite_url() == f"/join/{room.invite_code}/"


def test_recent_messages_are_the_newest_oldest_first(room, alice):
    for n in range(5):
        room.post(alice, f"m{n}")
    assert [m.body for m in room.recent_messages(limit=3)] == ["m2", "m3", "m4"]


def test_recent_messages_belong_to_the_room(room, bob):
    other = Room.objects.create(name="Other")
    other.post(bob, "elsewhere")
    assert room.recent_messages() == []


def test_membership(room, alice, bob):
    assert room.has_member(alice)
    assert not room.has_member(bob)
    assert list(alice.rooms.all()) == [room]


def test_str(bob):
    room = Room(name="Lobby")
    assert str(room) == "Lobby"
    assert str(Message(room=room, author=bob, body="hi")) == "bob: hi"


@pytest.mark.django_db(transaction=True)
def test_a_post_that_is_rolled_back_gives_its_number_back(room, alice):
    room.post(alice, "one")
    with pytest.raises(RuntimeError), transaction.atomic():
        room.post(alice, "never saved")
        raise RuntimeError
    assert room.post(alice, "two").seq == 2


@pytest.mark.django_db(transaction=True)
def test_posts_from_many_connections_at_once_get_every_number_once(room, alice):
    def post(count):
        for n in range(count):
            room.post(alice, f"message {n}")
        connection.close()  # each thread has a database connection of its own

    threads = [threading.Thread(target=post, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(room.messages.values_list("seq", flat=True)) == list(range(1, 101))
    room.refresh_from_db()
    assert room.last_seq == 100
