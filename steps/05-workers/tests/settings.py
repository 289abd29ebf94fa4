"""The project's settings for the tests, and for the servers and workers they start."""

import os
import tempfile
from pathlib import Path

from backchat.settings import *  # noqa: F403
from backchat.settings import CHANNEL_LAYERS, DATABASES

# A file, not memory, so that the workers the tests start can share it with them.
test_db = Path(tempfile.gettempdir()) / f"backchat-05-tests-{os.getpid()}.sqlite3"
DATABASES["default"]["TEST"] = {"NAME": test_db}
# The processes the tests start are told which database to use.
if "BACKCHAT_TEST_DB" in os.environ:
    DATABASES["default"]["NAME"] = os.environ["BACKCHAT_TEST_DB"]

# Presence lists in fast motion, so that the tests wait for them less.
CHAT_PRESENCE_COALESCE = 0.05
# No socket goes stale while a test runs, however slow the machine: a test that needs
# a stale one dates its row back. (The browser tests have pages that beat: browser/settings.py.)
CHAT_PRESENCE_TIMEOUT = 600

# The overload test runs processes whose channel layer drops messages early.
if "BACKCHAT_TEST_CAPACITY" in os.environ:
    CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = int(os.environ["BACKCHAT_TEST_CAPACITY"])
