"""Overload made visible: every message the channel layer drops is counted and logged.

Redis holds at most `capacity` messages for a server process or a worker channel
(backchat/settings.py). Past that, channels-redis refuses a send with ChannelFull,
and drops a group message for the processes that are that far behind, saying so
only at INFO. Pages catch up on dropped messages by their numbers; this module
makes sure that whoever runs the server sees that it happened, and how often.
"""

import logging
from collections import Counter

logger = logging.getLogger(__name__)
drops = Counter()  # what was dropped -> how many times, in this process

# What channels-redis 4.3 logs when group_send drops a message (a test checks it).
OVER_CAPACITY = "%s of %s channels over capacity in group %s"


def dropped(what):
    drops[what] += 1
    logger.warning("Dropped %s (%s so far in this process)", what, drops[what])


class CountLayerDrops(logging.Filter):
    """For the channels_redis log, from INFO up: its drops become warnings, counted."""

    def filter(self, record):
        if record.msg == OVER_CAPACITY:
            # Counted per Redis key: one for each server process, serving its sockets.
            full, sockets, group = record.args
            dropped(
                f"a message to group {group}, for {full} full process(es) of its {sockets} sockets"
            )
            return False  # dropped() has logged it already
        return record.levelno >= logging.WARNING  # the rest as usual
