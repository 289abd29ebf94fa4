import pytest

from chat.forms import JoinRoomForm, MessageForm, RoomForm


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


@pytest.mark.parametrize(
    "invite", ["{code}", " {code} ", "http://127.0.0.1:8000/join/{code}/", "join/{code}"]
)
def test_join_form_finds_the_room_by_link_or_code(room, invite):
    form = JoinRoomForm({"invite": invite.format(code=room.invite_code)})
    assert form.is_valid()
    assert form.cleaned_data["invite"] == room


@pytest.mark.parametrize(
    ("invite", "error"),
    [
        ("lobby", "This invite link is not valid."),
        ("{code}x", "This invite link is not valid."),
        ("{swapped}", "This invite link is not valid."),
        ("", "This field is required."),
        ("\x00", "Null characters are not allowed."),
        ("x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_join_form_rejects_names_unknown_and_malformed_codes(room, invite, error):
    invite = invite.format(code=room.invite_code, swapped=room.invite_code.swapcase())
    form = JoinRoomForm({"invite": invite})
    assert not form.is_valid()
    assert form.errors["invite"] == [error]
