"""Limits on what one user may do, so that guessing does not pay."""

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
