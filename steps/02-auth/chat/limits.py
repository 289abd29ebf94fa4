"""Limits on what one user may do, so that guessing does not pay."""

from django.core.cache import cache

# Invalid invites per user before a pause. A real invite link never fails, so people
# who were given one never notice; someone guessing codes stops after a few tries.
JOIN_FAILURES = 10
JOIN_PAUSE = 15 * 60  # seconds, counted from the first failure


def _join_failures_key(user):
    return f"join-failures-{user.pk}"


def join_blocked(user):
    return cache.get(_join_failures_key(user), 0) >= JOIN_FAILURES


def count_join_failure(user):
    key = _join_failures_key(user)
    cache.add(key, 0, JOIN_PAUSE)  # only the first failure starts the clock
    cache.incr(key)
