import pytest
from django.core.management import call_command

from chat.models import Room

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_lobby_once(capsys):
    call_command("seed_demo")
    call_command("seed_demo", site="http://127.0.0.1:8001")
    assert Room.objects.get().slug == "lobby"
    out = capsys.readouterr().out
    assert "Created the room 'Lobby' at http://127.0.0.1:8000/rooms/lobby/" in out
    assert "Kept the room 'Lobby' at http://127.0.0.1:8001/rooms/lobby/" in out
