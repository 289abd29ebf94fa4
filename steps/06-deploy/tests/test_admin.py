import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/admin/chat/room/", "/admin/chat/message/"])
def test_admin_lists_rooms_and_messages(admin_client, room, url):
    response = admin_client.get(url)
    assert response.status_code == 200


def test_admin_shows_the_slug_and_the_invite_code_read_only(admin_client, room):
    response = admin_client.get(f"/admin/chat/room/{room.pk}/change/")
    assert response.status_code == 200
    assert 'name="slug"' not in response.text
    assert 'name="invite_code"' not in response.text
    assert "lobby" in response.text
    assert room.invite_code in response.text


def test_messages_are_not_added_in_the_admin(admin_client):
    # Only Room.post() gives a message its number in the room.
    assert admin_client.get("/admin/chat/message/add/").status_code == 403
