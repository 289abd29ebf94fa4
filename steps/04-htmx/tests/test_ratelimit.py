from chat.ratelimit import RateLimiter


class FakeClock:
    now = 0.0

    def __call__(self):
        return self.now


def test_allows_the_limit_then_refuses_until_the_window_slides():
    clock = FakeClock()
    limiter = RateLimiter(limit=3, period=10, clock=clock)
    assert [limiter.allow() for _ in range(4)] == [True, True, True, False]
    clock.now = 9.9
    assert not limiter.allow()
    clock.now = 10.0
    assert limiter.allow()
