import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts import limits
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


# Failed log-ins


def log_in(client, username, password="wrong-guess", address="192.0.2.1", url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def errors(response):
    return list(response.context["form"].non_field_errors())


ACCOUNT_PAUSED = "Too many failed log-ins for this account. Wait 5 minutes, then try again."
ADDRESS_PAUSED = "Too many failed log-ins from your network. Wait 5 minutes, then try again."


def test_an_account_is_paused_after_a_few_failures_from_any_address(client, alice, bob):
    for n in range(limits.ACCOUNT_FAILURES):
        username = "ALICE" if n % 2 else "alice"  # one account, in any letter case
        response = log_in(client, username, address=f"192.0.2.{n}")
        assert errors(response) != [ACCOUNT_PAUSED], f"paused after {n} failures"
    # Even the right password now gets the pause, or guessing would go on.
    response = log_in(client, "alice", "talk-in-real-time", address="198.51.100.7")
    assert response.status_code == 200
    assert errors(response) == [ACCOUNT_PAUSED]
    assert log_in(Client(), "bob", "talk-in-real-time").status_code == 302


def test_an_address_is_paused_after_failures_on_many_accounts(client, alice):
    for n in range(limits.ADDRESS_FAILURES):
        assert errors(log_in(client, f"user{n}")) != [ADDRESS_PAUSED], f"paused after {n}"
    assert errors(log_in(client, "alice", "talk-in-real-time")) == [ADDRESS_PAUSED]
    # The same account from another address is let in.
    assert log_in(Client(), "alice", "talk-in-real-time", address="192.0.2.200").status_code == 302


def test_a_paused_guess_is_not_checked_at_all(client, alice, monkeypatch):
    for _ in range(limits.ACCOUNT_FAILURES):
        log_in(client, "alice")

    def authenticate(*args, **kwargs):
        pytest.fail("a paused log-in still checked the password (and paid for hashing it)")

    monkeypatch.setattr("django.contrib.auth.forms.authenticate", authenticate)
    assert errors(log_in(client, "alice", "talk-in-real-time")) == [ACCOUNT_PAUSED]


def test_the_pause_ends_by_itself(client, alice, monkeypatch):
    monkeypatch.setattr(limits, "PAUSE", 1)
    for _ in range(limits.ACCOUNT_FAILURES):
        log_in(client, "alice")
    assert log_in(client, "alice", "talk-in-real-time").status_code == 200
    deadline = time.monotonic() + 10
    while log_in(client, "alice", "talk-in-real-time").status_code != 302:
        assert time.monotonic() < deadline, "still paused 10 s after a 1 s pause began"
        time.sleep(0.1)


def test_the_admin_log_in_is_paused_too(client, alice):
    alice.is_staff = True
    alice.save()
    for _ in range(limits.ACCOUNT_FAILURES):
        log_in(client, "alice", url="/admin/login/")
    response = log_in(client, "alice", "talk-in-real-time", url="/admin/login/")
    assert response.status_code == 200
    assert errors(response) == [ACCOUNT_PAUSED]
