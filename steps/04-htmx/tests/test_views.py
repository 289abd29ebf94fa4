import pytest

from chat.models import Message, Room

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/"), ("post", "/new/"), ("post", "/join/"), ("get", "/rooms/lobby/")],
)
def test_chat_pages_need_a_login(client, room, method, url):
    response = getattr(client, method)(url, {"body": "hi", "name": "x", "code": "lobby"})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    assert not Message.objects.exists()


def test_room_list_shows_only_my_rooms(alice_client, room):
    Room.objects.create(name="Secret Garden")
    response = alice_client.get("/")
    assert response.status_code == 200
    assert room.get_absolute_url() in response.text
    assert "Secret Garden" not in response.text


def test_creating_a_room_makes_me_a_member(alice_client, alice):
    response = alice_client.post("/new/", {"name": "Pony Club"})
    room = Room.objects.get()
    assert response.status_code == 302
    assert response.url == room.get_absolute_url() == "/rooms/pony-club/"
    assert room.has_member(alice)


@pytest.mark.parametrize("name", ["", "x" * 81])
def test_create_room_with_a_bad_name_shows_the_error(alice_client, name):
    response = alice_client.post("/new/", {"name": name})
    assert response.status_code == 200
    assert response.context["room_form"].errors["name"]
    assert not Room.objects.exists()


def test_joining_by_code_makes_me_a_member(bob_client, bob, room):
    response = bob_client.post("/join/", {"code": "lobby"})
    assert response.status_code == 302
    assert response.url == room.get_absolute_url()
    assert room.has_member(bob)
    assert bob_client.get(room.get_absolute_url()).status_code == 200


def test_joining_twice_is_harmless(alice_client, alice, room):
    alice_client.post("/join/", {"code": "lobby"})
    assert list(room.members.all()) == [alice]


def test_join_with_an_unknown_code_shows_an_error(bob_client, bob, room):
    response = bob_client.post("/join/", {"code": "nowhere"})
    assert response.status_code == 200
    assert "There is no room with this code." in response.text
    assert not bob.rooms.exists()


def test_unknown_room_is_404(alice_client):
    assert alice_client.get("/rooms/nowhere/").status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/new/"),
        ("get", "/join/"),
        ("post", "/"),
        ("post", "/rooms/lobby/"),
        ("delete", "/rooms/lobby/"),
    ],
)
def test_wrong_method_is_405(alice_client, room, method, url):
    assert getattr(alice_client, method)(url).status_code == 405


def test_non_member_gets_a_join_prompt_not_the_messages(bob_client, alice, room):
    Message.objects.create(room=room, author=alice, body="members only")
    response = bob_client.get(room.get_absolute_url())
    assert response.status_code == 403
    assert "members only" not in response.text
    assert 'name="code" value="lobby"' in response.text


def test_room_page_shows_history_in_order(alice_client, alice, room):
    Message.objects.create(room=room, author=alice, body="first")
    Message.objects.create(room=room, author=alice, body="second")
    response = alice_client.get(room.get_absolute_url())
    assert response.status_code == 200
    assert response.text.index("first") < response.text.index("second")


def test_message_text_is_escaped(alice_client, alice, room):
    Message.objects.create(room=room, author=alice, body="<script>x()</script>")
    response = alice_client.get(room.get_absolute_url())
    assert "<script>x()</script>" not in response.text
    assert "&lt;script&gt;x()&lt;/script&gt;" in response.text


def test_room_page_connects_to_the_room_socket_with_htmx(alice_client, room):
    response = alice_client.get(room.get_absolute_url())
    assert 'hx-ext="ws,backchat" ws-connect="/ws/rooms/lobby/"' in response.text
    assert 'id="presence"' in response.text
    assert "vendor/htmx-2.0.11.min.js" in response.text
    assert "vendor/htmx-ext-ws-2.0.4.min.js" in response.text
