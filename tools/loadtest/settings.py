"""The served step's own settings, with a throwaway database and, on request, another layer.

The load test puts this folder on PYTHONPATH and sets DJANGO_SETTINGS_MODULE to `settings`
(this file); LOADTEST_DB and LOADTEST_LAYER come from tools/loadtest/run.py.
"""

import gc
import os

import gcstats

from backchat.settings import *  # noqa: F403 (the step's settings, every one of them)

DATABASES["default"]["NAME"] = os.environ["LOADTEST_DB"]  # noqa: F405

if os.environ.get("LOADTEST_LAYER") == "pubsub":
    # One PUBLISH per group message; each process hands it to its sockets in memory. Only
    # the sockets' layer: step 06's workers keep theirs ("workers"), the two-layer setup.
    CHANNEL_LAYERS["default"] = {  # noqa: F405
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]},  # noqa: F405
    }

if os.environ.get("LOADTEST_GC_THRESHOLD"):
    # --gc-threshold: a collection of the youngest objects every N new ones, not every 700.
    gc.set_threshold(int(os.environ["LOADTEST_GC_THRESHOLD"]))

if os.environ.get("LOADTEST_GC_STATS"):
    gcstats.start(os.environ["LOADTEST_GC_STATS"], freeze=bool(os.environ["LOADTEST_GC_FREEZE"]))
