from datetime import UTC, datetime

import pytest
from django.urls import reverse

from chat.models import Message, Room

pytestmark = pytest.mark.django_db


def test_room_list_shows_rooms(client, room):
    response = client.get("/")
    assert response.status_code == 200
    assert room.get_absolute_url() in response.text


def test_create_room_redirects_to_it(client):
    response = client.post("/new/", {"name": "Pony Club"})
    room = Room.objects.get()
    assert response.status_code == 302
    assert response.url == room.get_absolute_url() == "/rooms/pony-club/"


@pytest.mark.parametrize("name", ["", "x" * 81])
def test_create_room_with_a_bad_name_shows_the_error(client, name):
    response = client.post("/new/", {"name": name})
    assert response.status_code == 200
    assert response.context["room_form"].errors["name"]
    assert not Room.objects.exists()


def test_join_by_code_redirects_to_the_room(client, room):
    response = client.post("/join/", {"code": "lobby"})
    assert response.status_code == 302
    assert response.url == room.get_absolute_url()


def test_join_with_an_unknown_code_shows_an_error(client, room):
    response = client.post("/join/", {"code": "nowhere"})
    assert response.status_code == 200
    assert "There is no room with this code." in response.text


def test_unknown_room_is_404(client, db):
    assert client.get("/rooms/nowhere/").status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/new/"),
        ("get", "/join/"),
        ("post", "/"),
        ("put", "/rooms/lobby/"),
        ("delete", "/rooms/lobby/"),
        ("patch", "/name/"),
    ],
)
def test_wrong_method_is_405(client, room, method, url):
    assert getattr(client, method)(url).status_code == 405


def test_room_page_shows_history_in_order(client, room):
    Message.objects.create(room=room, author_name="alice", body="first")
    Message.objects.create(room=room, author_name="bob", body="second")
    response = client.get(room.get_absolute_url())
    assert response.status_code == 200
    assert response.text.index("first") < response.text.index("second")


def test_message_times_are_valid_html(client, room):
    message = Message.objects.create(room=room, author_name="alice", body="hi")
    sent = datetime(2025, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)
    Message.objects.filter(pk=message.pk).update(created_at=sent)
    response = client.get(room.get_absolute_url())
    # HTML allows at most three digits of a fraction of a second; Django's "c" format gives six.
    assert '<time datetime="2025-03-04T05:06:07+0000">05:06</time>' in response.text


def test_message_text_is_escaped(client, room):
    Message.objects.create(room=room, author_name="<b>mallory</b>", body="<script>x()</script>")
    response = client.get(room.get_absolute_url())
    assert "<script>x()</script>" not in response.text
    assert "&lt;script&gt;x()&lt;/script&gt;" in response.text
    assert "&lt;b&gt;mallory&lt;/b&gt;" in response.text


def test_room_page_asks_for_a_display_name_first(client, room):
    response = client.get(room.get_absolute_url())
    assert "Pick a display name" in response.text
    assert 'class="composer"' not in response.text


def test_posting_without_a_display_name_asks_for_one(client, room):
    response = client.post(room.get_absolute_url(), {"body": "hello"})
    assert response.status_code == 302
    assert response.url == f"{reverse('chat:display_name')}?next=/rooms/lobby/"
    assert not Message.objects.exists()


def test_posting_saves_and_redirects(named_client, room):
    response = named_client.post(room.get_absolute_url(), {"body": "hello"})
    assert response.status_code == 302
    assert response.url == room.get_absolute_url()
    message = Message.objects.get()
    assert (message.room, message.author_name, message.body) == (room, "alice", "hello")


@pytest.mark.parametrize("body", ["", "   ", "x" * 1001])
def test_posting_a_bad_message_shows_the_error(named_client, room, body):
    response = named_client.post(room.get_absolute_url(), {"body": body})
    assert response.status_code == 200
    assert response.context["form"].errors["body"]
    assert not Message.objects.exists()


def test_display_name_is_kept_in_the_session(client, room):
    response = client.post("/name/", {"name": "carol", "next": "/rooms/lobby/"})
    assert response.status_code == 302
    assert response.url == "/rooms/lobby/"
    assert client.session["display_name"] == "carol"
    assert "You are <strong>carol</strong>" in client.get("/").text


def test_display_name_form_shows_errors(client):
    response = client.post("/name/", {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert "display_name" not in client.session


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "", "/name/"])
def test_display_name_never_redirects_off_site(client, next_url):
    response = client.post("/name/", {"name": "carol", "next": next_url})
    assert response.url == "/"
