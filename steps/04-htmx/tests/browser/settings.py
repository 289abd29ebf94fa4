"""The project's settings on a database of the browser tests' own."""

import os

from backchat.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["BACKCHAT_BROWSER_DB"],
    }
}
