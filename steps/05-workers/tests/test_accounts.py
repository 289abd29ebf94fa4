import pytest
from django.contrib.auth import get_user_model

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_user_model_is_ours():
    assert get_user_model() is User


def test_signup_creates_the_user_and_logs_in(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "carol", "password1": "a-long-passphrase", "password2": "a-long-passphrase"},
    )
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").context["user"].username == "carol"


@pytest.mark.parametrize(
    ("next_url", "redirect"),
    [("/join/abc/", "/join/abc/"), ("https://evil.example/", "/"), ("//evil.example/", "/")],
)
def test_signup_goes_on_to_next_but_only_on_this_site(client, next_url, redirect):
    page = client.get(f"/accounts/signup/?next={next_url}")
    assert f'name="next" value="{redirect}"' in page.text
    response = client.post(
        "/accounts/signup/",
        {
            "username": "carol",
            "password1": "a-long-passphrase",
            "password2": "a-long-passphrase",
            "next": next_url,
        },
    )
    assert response.status_code == 302
    assert response.url == redirect


def test_login_and_signup_pages_pass_next_on_to_each_other(client):
    login = client.get("/accounts/login/?next=/join/abc/")
    assert 'href="/accounts/signup/?next=/join/abc/"' in login.text
    signup = client.get("/accounts/signup/?next=/join/abc/")
    assert 'href="/accounts/login/?next=/join/abc/"' in signup.text


@pytest.mark.parametrize(
    ("password1", "password2", "error"),
    [
        ("short", "short", "This password is too short."),
        ("password123", "password123", "This password is too common."),
        ("8412379056", "8412379056", "This password is entirely numeric."),
        ("a-long-passphrase", "another-passphrase", "The two password fields didn’t match."),
    ],
)
def test_signup_validates_the_password(client, password1, password2, error):
    response = client.post(
        "/accounts/signup/", {"username": "carol", "password1": password1, "password2": password2}
    )
    assert response.status_code == 200
    assert any(
        message.startswith(error) for message in response.context["form"].errors["password2"]
    )
    assert not User.objects.exists()


def test_signup_refuses_a_taken_username_in_any_case(client, alice):
    response = client.post(
        "/accounts/signup/",
        {"username": "ALICE", "password1": "a-long-passphrase", "password2": "a-long-passphrase"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert User.objects.count() == 1


def test_login_and_back_to_the_page_asked_for(client, alice):
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "talk-in-real-time", "next": "/rooms/lobby/"},
    )
    assert response.status_code == 302
    assert response.url == "/rooms/lobby/"


def test_login_with_a_wrong_password_shows_an_error(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_logout_takes_a_post(alice_client):
    assert alice_client.get("/accounts/logout/").status_code == 405
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert alice_client.get("/").status_code == 302


def test_header_shows_who_is_signed_in(alice_client):
    assert "Signed in as <strong>alice</strong>" in alice_client.get("/").text


def test_alice_and_bob_each_have_a_browser_of_their_own(alice_client, bob_client):
    assert "Signed in as <strong>alice</strong>" in alice_client.get("/").text
    assert "Signed in as <strong>bob</strong>" in bob_client.get("/").text
