from chat import limits
from chat.limits import RateLimiter


def test_allows_the_limit_then_refuses_until_the_window_slides():
    limiter = RateLimiter(limit=3, period=10)
    assert [limiter.allow(0.0) for _ in range(4)] == [True, True, True, False]
    assert not limiter.allow(9.9)
    assert limiter.allow(10.0)


def test_a_users_sockets_share_one_set_of_limits_up_to_a_cap(monkeypatch):
    monkeypatch.setattr(limits, "SOCKETS_PER_USER", 2)
    first, second = limits.open_socket(1), limits.open_socket(1)
    assert first is second
    assert limits.open_socket(1) is None
    assert limits.open_socket(2) is not first  # another user has limits of their own
    limits.close_socket(1)
    assert limits.open_socket(1) is first
    for user_id in (1, 1, 2):
        limits.close_socket(user_id)
    assert limits._users == {}  # forgotten with the last socket
