import pytest

from chat.forms import DisplayNameForm, JoinRoomForm, MessageForm, RoomForm


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_room_form_rejects_empty_and_long_names(name):
    form = RoomForm({"name": name})
    assert not form.is_valid()
    assert "name" in form.errors


def test_room_form_accepts_a_name(db):
    assert RoomForm({"name": "Lobby"}).is_valid()


@pytest.mark.parametrize("body", ["", "   ", "x" * 1001])
def test_message_form_rejects_empty_and_long_bodies(body):
    form = MessageForm({"body": body})
    assert not form.is_valid()
    assert "body" in form.errors


def test_message_form_strips_whitespace():
    form = MessageForm({"body": "  hello  "})
    assert form.is_valid()
    assert form.cleaned_data["body"] == "hello"


def test_join_form_finds_the_room_case_insensitively(room):
    form = JoinRoomForm({"code": " LOBBY "})
    assert form.is_valid()
    assert form.cleaned_data["code"] == room


@pytest.mark.parametrize("code", ["nope", "not a slug!", ""])
def test_join_form_rejects_unknown_or_malformed_codes(db, code):
    form = JoinRoomForm({"code": code})
    assert not form.is_valid()
    assert "code" in form.errors


@pytest.mark.parametrize("name", ["", "x" * 41])
def test_display_name_form_rejects_empty_and_long_names(name):
    assert not DisplayNameForm({"name": name}).is_valid()
