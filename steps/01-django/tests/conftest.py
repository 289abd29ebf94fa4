import pytest

from chat.models import Room


@pytest.fixture
def room(db):
    return Room.objects.create(name="Lobby")


@pytest.fixture
def named_client(client):
    """A visitor who has already picked a display name."""
    session = client.session
    session["display_name"] = "alice"
    session.save()
    return client
