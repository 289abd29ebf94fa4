import pytest
from django.core.cache import cache

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


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client
