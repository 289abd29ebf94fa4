from datetime import UTC, datetime

import pytest

from chat.limits import JOIN_FAILURES
from chat.models import Message, Room

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/"), ("post", "/new/"), ("post", "/join/"), ("get", "/rooms/lobby/")],
)
def test_chat_pages_need_a_login(client, room, method, url):
    response = getattr(client, method)(url, {"body": "hi", "name": "x", "invite": "x"})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    assert not Message.objects.exists()


def test_an_invite_link_survives_logging_in(client, room):
    response = client.get(room.get_invite_url())
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={room.get_invite_url()}"


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
    assert response.url == room.get_absolute_url()
    assert response.url.startswith("/rooms/pony-club-")
    assert room.has_member(alice)


@pytest.mark.parametrize("name", ["", "x" * 81])
def test_create_room_with_a_bad_name_shows_the_error(alice_client, name):
    response = alice_client.post("/new/", {"name": name})
    assert response.status_code == 200
    assert response.context["room_form"].errors["name"]
    assert not Room.objects.exists()


def test_members_see_the_invite_link_in_a_labelled_field(alice_client, room):
    response = alice_client.get(room.get_absolute_url())
    link = f"http://testserver/join/{room.invite_code}/"
    assert '<label for="invite-link">Invite link</label>' in response.text
    assert f'<input id="invite-link" class="invite-link" value="{link}" readonly>' in response.text


def test_an_invite_link_asks_before_joining(bob_client, bob, room):
    response = bob_client.get(room.get_invite_url())
    assert response.status_code == 200
    assert "Join Lobby" in response.text
    assert not room.has_member(bob)  # following a link changes nothing
    response = bob_client.post(room.get_invite_url())
    assert response.status_code == 302
    assert response.url == room.get_absolute_url()
    assert room.has_member(bob)
    assert bob_client.get(room.get_absolute_url()).status_code == 200


def test_a_member_following_the_invite_goes_straight_in(alice_client, room):
    response = alice_client.get(room.get_invite_url())
    assert response.status_code == 302
    assert response.url == room.get_absolute_url()


@pytest.mark.parametrize("invite", ["{code}", "http://testserver/join/{code}/", "/join/{code}"])
def test_the_join_form_takes_a_link_or_a_code(bob_client, bob, room, invite):
    response = bob_client.post("/join/", {"invite": invite.format(code=room.invite_code)})
    assert response.status_code == 302
    assert response.url == room.get_absolute_url()
    assert room.has_member(bob)


def test_joining_twice_is_harmless(alice_client, alice, room):
    alice_client.post("/join/", {"invite": room.invite_code})
    alice_client.post(room.get_invite_url())
    assert list(room.members.all()) == [alice]


@pytest.mark.parametrize("invite", ["lobby", "Lobby", "nowhere", ""])
def test_the_join_form_refuses_names_and_unknown_codes(bob_client, bob, room, invite):
    response = bob_client.post("/join/", {"invite": invite})
    assert response.status_code == 200
    assert response.context["join_form"].errors["invite"]
    assert not bob.rooms.exists()


@pytest.mark.parametrize("code", ["lobby", "x" * 22, "%00"])
def test_an_unknown_invite_link_is_404(bob_client, bob, room, code):
    assert bob_client.get(f"/join/{code}/").status_code == 404
    assert bob_client.post(f"/join/{code}/").status_code == 404
    assert not bob.rooms.exists()


def test_invalid_invites_lead_to_a_pause(bob_client, bob, room):
    for n in range(JOIN_FAILURES):
        if n % 2:
            assert bob_client.get(f"/join/guess-{n}/").status_code == 404
        else:
            assert bob_client.post("/join/", {"invite": f"guess-{n}"}).status_code == 200
    # Blocked now, even with the right code, so guessing cannot go on.
    response = bob_client.post("/join/", {"invite": room.invite_code})
    assert response.status_code == 429
    assert "Too many invalid invites" in response.text
    assert bob_client.get(room.get_invite_url()).status_code == 429
    assert not room.has_member(bob)


def test_the_pause_is_per_user(bob_client, alice, room):
    for n in range(JOIN_FAILURES):
        bob_client.post("/join/", {"invite": f"guess-{n}"})
    bob_client.force_login(alice)
    assert bob_client.get(room.get_invite_url()).status_code == 302


def test_an_existing_room_and_a_missing_one_look_the_same_to_non_members(bob_client, alice, room):
    room.post(alice, "members only")
    existing = bob_client.get(room.get_absolute_url())
    missing = bob_client.get("/rooms/nowhere/")
    assert existing.status_code == missing.status_code == 404
    assert "Lobby" not in existing.text
    assert "members only" not in existing.text
    assert existing.content == missing.content


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/new/"),
        ("get", "/join/"),
        ("post", "/"),
        ("post", "/rooms/lobby/"),
        ("delete", "/rooms/lobby/"),
        ("put", "/join/{code}/"),
    ],
)
def test_wrong_method_is_405(alice_client, room, method, url):
    url = url.format(code=room.invite_code)
    assert getattr(alice_client, method)(url).status_code == 405


@pytest.mark.parametrize("url", ["/new/", "/join/", "/join/{code}/", "/rooms/lobby/"])
def test_posts_need_the_csrf_token(client, bob, room, url):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(bob)
    response = client.post(url.format(code=room.invite_code), {"name": "x", "body": "x"})
    assert response.status_code == 403
    assert not room.has_member(bob)


def test_room_page_shows_history_in_order(alice_client, alice, room):
    room.post(alice, "first")
    room.post(alice, "second")
    response = alice_client.get(room.get_absolute_url())
    assert response.status_code == 200
    assert response.text.index("first") < response.text.index("second")


def test_message_times_are_valid_html(alice_client, alice, room):
    message = room.post(alice, "hi")
    sent = datetime(2025, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)
    Message.objects.filter(pk=message.pk).update(created_at=sent)
    response = alice_client.get(room.get_absolute_url())
    # HTML allows at most three digits of a fraction of a second; Django's "c" format gives six.
    assert '<time datetime="2025-03-04T05:06:07+0000">05:06</time>' in response.text


def test_message_text_is_escaped(alice_client, alice, room):
    room.post(alice, "<script>x()</script>")
    response = alice_client.get(room.get_absolute_url())
    assert "<script>x()</script>" not in response.text
    assert "&lt;script&gt;x()&lt;/script&gt;" in response.text


def test_room_page_connects_to_the_room_socket_with_htmx(alice_client, room):
    response = alice_client.get(room.get_absolute_url())
    assert 'hx-ext="ws,backchat" ws-connect="/ws/rooms/lobby/"' in response.text
    assert 'id="presence"' in response.text
    assert "vendor/htmx-2.0.11.min.js" in response.text
    assert "vendor/htmx-ext-ws-2.0.4.min.js" in response.text
