import pytest
from django.core.cache import cache
from redis import Redis

from chat import limits


def test_a_window_counts_from_its_first_event(redis):
    assert [limits.count("k", period=10) for _ in range(3)] == [1, 2, 3]
    # Straight from Redis: the first event set the clock, and the others left it alone.
    [key] = Redis.from_url(redis.url).keys("*k")
    assert Redis.from_url(redis.url).ttl(key) == 10


def test_the_next_window_starts_from_one():
    limits.count("k", period=10)
    cache.delete("k")  # what Redis does when the window's time is up
    assert limits.count("k", period=10) == 1


async def test_frames_are_counted_per_user(monkeypatch):
    monkeypatch.setattr(limits, "FRAMES_PER_USER", 2)
    assert [await limits.allow_frame(1, arrived=0.0) for _ in range(3)] == [True, True, False]
    assert await limits.allow_frame(2, arrived=0.0)


async def test_a_frame_counts_in_the_window_it_arrived_in(monkeypatch):
    monkeypatch.setattr(limits, "FRAMES_PER_USER", 1)
    assert await limits.allow_frame(1, arrived=limits.PERIOD - 0.1)
    assert not await limits.allow_frame(1, arrived=0.0)  # handled late, arrived in the first
    assert await limits.allow_frame(1, arrived=2 * limits.PERIOD)  # its window is quiet


@pytest.mark.django_db
def test_the_counts_live_in_redis_for_every_process(alice, redis):
    limits.count_join_failure(alice)
    # Straight from Redis, as another process would read it.
    client = Redis.from_url(redis.url)
    assert [int(client.get(key)) for key in client.keys("*join-failures*")] == [1]
