"""The settings of the servers and workers that the browser tests start: the life of
a page in fast motion, so that the tests wait seconds, not minutes."""

from tests.settings import *  # noqa: F403

# Every heartbeat is a frame, and a user may send 10 frames in 10 seconds, whatever
# their kind: two tabs of one user beating every second would use them all.
CHAT_HEARTBEAT_SECONDS = 3
CHAT_PRESENCE_TIMEOUT = 15  # five heartbeats: a page on a busy machine may be late for one
CHAT_PRUNE_EVERY = 1
