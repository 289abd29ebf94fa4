import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from chat.models import Room

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_lobby_and_its_members_once(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    room = Room.objects.get()
    assert room.slug == "lobby"
    assert sorted(user.username for user in room.members.all()) == ["alice", "bob"]
    out = capsys.readouterr().out
    assert out.count("Created the user") == 2
    assert "Log in as alice or bob with the password 'talk-in-real-time'" in out


def test_seed_demo_prints_the_lobby_invite_link(capsys):
    call_command("seed_demo", site="http://127.0.0.1:8001")
    code = Room.objects.get().invite_code
    out = capsys.readouterr().out
    assert f"Invite others to the lobby with http://127.0.0.1:8001/join/{code}/" in out


def test_demo_users_can_log_in():
    call_command("seed_demo")
    assert authenticate(username="bob", password="talk-in-real-time") is not None
