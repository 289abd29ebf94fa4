"""Limits on what one user may do, so that guessing and flooding do not pay.

They count in Django's cache, which is Redis from this step on: every process
sees the same counts, so a user's sockets share their limits wherever they are.
"""

from asgiref.sync import sync_to_async
from django.core.cache import cache

# Invalid invites per user before a pause. A real invite link never fails, so people
# who were given one never notice; someone guessing codes stops after a few tries.
JOIN_FAILURES = 10
JOIN_PAUSE = 15 * 60  # seconds, counted from the first failure

# Websockets. The number of sockets is counted in the presence rows (chat/presence.py).
SOCKETS_PER_USER = 10
FRAMES_PER_USER = 10  # frames, valid or not...
REFUSALS_PER_USER = 10  # ...then refusals with a warning, then the socket is closed...
PERIOD = 10  # ...in each window of this many seconds, by the clock


def count(key, period):
    """One more event in the window of `period` seconds that the first one opened."""
    if cache.add(key, 1, period):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window closed between the two calls: open the next one
        cache.add(key, 1, period)
        return 1


def join_blocked(user):
    return cache.get(f"join-failures-{user.pk}", 0) >= JOIN_FAILURES


def count_join_failure(user):
    count(f"join-failures-{user.pk}", JOIN_PAUSE)


# From async code: the cache client is synchronous, so it runs in a thread.


# A frame counts in the window it arrived in (`arrived`, from time.time()), however
# late it is handled: after a stall, the frames that waited are not counted as a burst.


def window(name, user_id, arrived):
    return f"{name}-{user_id}-{int(arrived // PERIOD)}"


async def allow_frame(user_id, arrived):
    key = window("frames", user_id, arrived)
    return await sync_to_async(count)(key, 2 * PERIOD) <= FRAMES_PER_USER


async def allow_refusal(user_id, arrived):
    key = window("refusals", user_id, arrived)
    return await sync_to_async(count)(key, 2 * PERIOD) <= REFUSALS_PER_USER
