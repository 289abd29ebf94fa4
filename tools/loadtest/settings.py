"""The served step's own settings, with a throwaway database and, on request, another layer.

The load test puts this folder on PYTHONPATH and sets DJANGO_SETTINGS_MODULE to `settings`
(this file); LOADTEST_DB and LOADTEST_LAYER come from tools/loadtest/run.py.
"""

import os

from backchat.settings import *  # noqa: F403 (the step's settings, every one of them)

DATABASES["default"]["NAME"] = os.environ["LOADTEST_DB"]  # noqa: F405

if os.environ.get("LOADTEST_LAYER") == "pubsub":
    # One Redis PUBLISH per group message and process, instead of one list push per member.
    CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.pubsub.RedisPubSubChannelLayer"  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"].pop("capacity", None)  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"].pop("expiry", None)  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"].pop("group_expiry", None)  # noqa: F405
