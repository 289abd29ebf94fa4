"""Limits on what one user may do, so that guessing and flooding do not pay.

They count in Django's cache, which is Redis (settings.CACHES): every process
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


# A frame counts at the time it arrived (`arrived`, from time.time()), however late it
# is handled: after a stall, the frames that waited are not counted as a burst. Windows
# are aligned on the clock, the same in every process; the last PERIOD seconds are this
# window so far plus the share of the previous one that they still cover.


def within(name, user_id, arrived, limit):
    window, into = divmod(arrived, PERIOD)
    current = count(f"{name}-{user_id}-{int(window)}", 2 * PERIOD)
    previous = cache.get(f"{name}-{user_id}-{int(window) - 1}", 0)
    return previous * (1 - into / PERIOD) + current <= limit


async def allow_frame(user_id, arrived):
    return await sync_to_async(within)("frames", user_id, arrived, FRAMES_PER_USER)


async def allow_refusal(user_id, arrived):
    return await sync_to_async(within)("refusals", user_id, arrived, REFUSALS_PER_USER)
