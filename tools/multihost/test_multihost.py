"""Backchat past one machine: two users on two app hosts behind one nginx chat; then one
app host dies, and its user carries on through the other one, missing nothing.

Which app host a socket reached is read in the Daphnes' access logs, as the stack tests
(step 06's tests/browser/test_stack.py) tell the two Daphnes apart.
"""

from collections import Counter

import pytest
from websockets.exceptions import ConnectionClosedError

from .users import messages_in


def log_in(cluster, browser, username):
    landed, _ = browser.submit("/accounts/login/", username=username, password=cluster.password)
    assert landed == "/"
    return browser


def enter_lobby(cluster, browser, username):
    """Open the lobby's socket: the tab, and the app host whose Daphne took it."""
    before = cluster.websockets()
    tab = browser.open_lobby()
    tab.wait_until_present(username)
    [host] = (cluster.websockets() - before).elements()
    return tab, host


def test_users_on_two_app_hosts_chat_through_nginx(cluster, open_browser):
    # Pages and forms: nginx hands them to uWSGI on an app host, which writes to the db host.
    carol = open_browser()
    password = "a-long-passphrase"
    landed, _ = carol.submit(
        "/accounts/signup/", username="carol", password1=password, password2=password
    )
    assert landed == "/"
    assert carol.submit(cluster.invite)[0] == "/rooms/lobby/"  # she joins the lobby
    alice = log_in(cluster, open_browser(), "alice")
    # Each form reached uWSGI once, on one app host or the other.
    for request in ("POST /accounts/signup/", f"POST {cluster.invite}", "POST /accounts/login/"):
        assert cluster.requests(request) == 1

    alices, alices_host = enter_lobby(cluster, alice, "alice")
    carols, carols_host = enter_lobby(cluster, carol, "carol")
    assert {alices_host, carols_host} == {"app1", "app2"}  # nginx took turns

    # The lobby is new: its messages are numbered from 1.
    alices.send(f"Hi Carol, from {alices_host}")
    hello = ("messages", [(1, "alice", f"Hi Carol, from {alices_host}")])
    assert [alices.receive(), carols.receive()] == [hello] * 2
    carols.send(f"Hi Alice, from {carols_host}")
    hello = ("messages", [(2, "carol", f"Hi Alice, from {carols_host}")])
    assert [alices.receive(), carols.receive()] == [hello] * 2

    # A worker, on either app host, answers Alice's socket, and hers only.
    alices.send("/who")
    assert alices.receive() == ("reply", "Here now: alice, carol")
    carols.send("Bye")
    bye = ("messages", [(3, "carol", "Bye")])
    assert [carols.receive(), alices.receive()] == [bye] * 2  # no reply in between


# Last in the module: it leaves one app host dead.
def test_users_of_a_dead_app_host_reconnect_to_the_other_and_miss_nothing(cluster, open_browser):
    alice, bob = log_in(cluster, open_browser(), "alice"), log_in(cluster, open_browser(), "bob")
    _, page = alice.open("/rooms/lobby/")
    newest = max((seq for seq, _, _ in messages_in(page)), default=0)
    alices, lost = enter_lobby(cluster, alice, "alice")
    bobs, kept = enter_lobby(cluster, bob, "bob")
    assert {lost, kept} == {"app1", "app2"}
    bobs.send("Still there, Alice?")
    still_there = (newest + 1, "bob", "Still there, Alice?")
    assert [alices.receive(), bobs.receive()] == [("messages", [still_there])] * 2

    cluster.kill(lost)  # every process on Alice's app host, at once
    with pytest.raises(ConnectionClosedError) as cut:
        alices.receive()
    assert cut.value.rcvd is None  # no close frame: her connection was simply cut
    missed = [(newest + n, "bob", f"Sent while {lost} is down, {n}") for n in (2, 3, 4)]
    for message in missed:
        bobs.send(message[2])
        assert bobs.receive() == ("messages", [message])

    # Her page reconnects to nginx, as before, naming the newest message it has.
    before = cluster.websockets()
    alices = alice.open_lobby(after=newest + 1)
    assert alices.receive() == ("messages", missed)  # caught up from the database
    assert cluster.websockets() - before == Counter({kept: 1})
    bobs.send("Welcome back")
    welcome = (newest + 5, "bob", "Welcome back")
    assert [alices.receive(), bobs.receive()] == [("messages", [welcome])] * 2  # nothing twice
    alices.send("/who")  # the worker that is left answers
    assert alices.receive() == ("reply", "Here now: alice, bob")

    # A reload comes from the uWSGI that is left, with every message once.
    landed, page = alice.open("/rooms/lobby/")
    assert landed == "/rooms/lobby/"
    history = messages_in(page)
    assert history[-5:] == [still_there, *missed, welcome]
    numbers = [seq for seq, _, _ in history]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
