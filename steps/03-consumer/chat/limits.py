"""Limits on what one user may do, so that guessing and flooding do not pay."""

from collections import deque

from django.core.cache import cache

# Invalid invites per user before a pause. A real invite link never fails, so people
# who were given one never notice; someone guessing codes stops after a few tries.
JOIN_FAILURES = 10
JOIN_PAUSE = 15 * 60  # seconds, counted from the first failure


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


class RateLimiter:
    """Allows at most `limit` events in any `period` seconds (a sliding window)."""

    def __init__(self, limit, period):
        self.limit = limit
        self.period = period
        self.times = deque()

    def allow(self, now):
        """Count an event that happened at `now` (time.monotonic()), if the limit allows."""
        while self.times and now - self.times[0] >= self.period:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return False
        self.times.append(now)
        return True


# Websockets: the limits are per user, shared by all of their sockets, so opening
# more tabs buys nothing. They live in this process's memory, like the in-memory
# channel layer: one process only. With more, they belong in Redis, shared by all.
SOCKETS_PER_USER = 10
FRAMES_PER_USER = 10  # frames, valid or not...
REFUSALS_PER_USER = 10  # ...then refusals with a warning, then the socket is closed...
PERIOD = 10  # ...in any this many seconds


class UserLimits:
    """One user's open sockets and the rate limits they share."""

    def __init__(self):
        self.sockets = 0
        self.frames = RateLimiter(FRAMES_PER_USER, PERIOD)
        self.refusals = RateLimiter(REFUSALS_PER_USER, PERIOD)


# user id -> UserLimits, for the users with a socket open in this process
_users = {}


def open_socket(user_id):
    """The user's shared limits, or None if they have too many sockets open already."""
    if user_id not in _users:
        _users[user_id] = UserLimits()
    limits = _users[user_id]
    if limits.sockets >= SOCKETS_PER_USER:
        return None
    limits.sockets += 1
    return limits


def close_socket(user_id):
    # Forgotten with the last socket: reconnecting costs a user more than the few
    # frames it buys, and a front server such as nginx can limit how fast anyone connects.
    limits = _users[user_id]
    limits.sockets -= 1
    if limits.sockets == 0:
        del _users[user_id]
