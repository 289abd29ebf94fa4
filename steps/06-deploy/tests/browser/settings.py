"""The settings of the servers and workers that the browser tests start: the life of
a page in fast motion, so that the tests wait seconds, not minutes."""

from tests.settings import *  # noqa: F403

CHAT_HEARTBEAT_SECONDS = 1
CHAT_PRESENCE_TIMEOUT = 5  # five heartbeats: a page on a busy machine may be late for one
CHAT_PRUNE_EVERY = 1
