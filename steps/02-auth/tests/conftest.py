import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from chat.models import Room


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher is slow on purpose; tests don't need that protection.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    # The join limits count in the cache, which would otherwise outlive each test.
    cache.clear()


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password="talk-in-real-time")


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", password="talk-in-real-time")


@pytest.fixture
def room(alice):
    """The lobby, with alice as its only member (its slug set, as seed_demo does)."""
    room = Room.objects.create(name="Lobby", slug="lobby")
    room.members.add(alice)
    return room


def logged_in_client(user):
    """A browser of the user's own: its own cookies, so that alice and bob can both be in."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    return logged_in_client(alice)


@pytest.fixture
def bob_client(bob):
    return logged_in_client(bob)
