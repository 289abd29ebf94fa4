"""A pause after too many failed log-ins, so that guessing passwords does not pay."""

import hashlib

from django.core.cache import cache

from chat.limits import count  # the invite limit's counter: a fixed window in the cache

# Per account: someone guessing one person's password, from any number of addresses.
ACCOUNT_FAILURES = 5
# Per address: one machine guessing the passwords of many accounts.
ADDRESS_FAILURES = 20
# Short, and counted from the first failure: to keep the owner of an account out,
# someone failing on purpose must go on failing, from address after address.
PAUSE = 5 * 60  # seconds


def counters(username, address):
    # A digest: a username may hold characters that a cache key must not.
    account = hashlib.sha256(username.casefold().encode()).hexdigest()
    return {
        "account": (f"login-failures-account-{account}", ACCOUNT_FAILURES),
        "address": (f"login-failures-address-{address}", ADDRESS_FAILURES),
    }


def login_blocked(username, address):
    """Which counter is full, "account" or "address"; None if neither."""
    for reason, (key, limit) in counters(username, address).items():
        if cache.get(key, 0) >= limit:
            return reason
    return None


def count_login_failure(username, address):
    for key, _ in counters(username, address).values():
        count(key, PAUSE)
