import copy
from pathlib import Path

import pytest
from channels.layers import channel_layers
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings

from accounts.models import User
from chat.models import Room

from .processes import WORKER, Redis, django_env, manage


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher is slow on purpose; tests don't need that protection.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def redis(tmp_path_factory):
    """A real Redis of the tests' own, for the channel layer and the cache."""
    server = Redis(tmp_path_factory.mktemp("redis"))
    server.start()
    layers = copy.deepcopy(django_settings.CHANNEL_LAYERS)
    for layer in layers.values():
        layer["CONFIG"]["hosts"] = [server.url]
    caches = {"default": {**django_settings.CACHES["default"], "LOCATION": server.url}}
    with override_settings(REDIS_URL=server.url, CHANNEL_LAYERS=layers, CACHES=caches):
        yield server
    server.stop()


@pytest.fixture(autouse=True)
def empty_redis(redis):
    # Limits, groups and jobs would otherwise outlive each test.
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_channel_layers():
    """Channels keeps one layer object per alias for the whole process, and its locks
    belong to the event loop that first waited on them. Each test has an event loop of
    its own: give it layers of its own too, as Channels does when CHANNEL_LAYERS changes."""
    channel_layers.backends.clear()


@pytest.fixture(scope="session")
def workers(redis, django_db_setup, tmp_path_factory):
    """The app's workers, in processes of their own, on the tests' Redis and database."""
    env = django_env(redis, connection.settings_dict["NAME"])
    log_dir = tmp_path_factory.mktemp("workers")
    processes = [
        manage("worker", log_dir, env, *WORKER, "chat-commands", "chat-presence"),
        manage("reports", log_dir, env, *WORKER, "chat-reports"),
    ]
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.wait_for_log("Reading jobs from")
        yield {process.name: process for process in processes}
    finally:
        for process in processes:
            process.stop()


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


def pytest_sessionfinish(session):
    # The test database is deleted by now; SQLite's WAL files beside it are not.
    test_db = django_settings.DATABASES["default"]["TEST"]["NAME"]
    for suffix in ("-wal", "-shm"):
        Path(f"{test_db}{suffix}").unlink(missing_ok=True)
