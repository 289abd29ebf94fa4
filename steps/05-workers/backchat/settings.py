"""Development settings for Backchat.

These are laptop settings, unfit for a server: DEBUG is on and the secret key is public.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Only ever used on your laptop; a server needs a real secret, kept out of the code.
SECRET_KEY = "django-insecure-laptop-only-never-deploy-this-key"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    # First, so that `runserver` is Daphne's: it serves HTTP and websockets over ASGI.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "accounts",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backchat.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "backchat.wsgi.application"
ASGI_APPLICATION = "backchat.asgi.application"

# Redis is where the processes meet: the servers and the workers.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [REDIS_URL],
            # Messages waiting for one server process (or one worker channel) before
            # new ones are dropped: 100 is plenty for a process that keeps up, and a
            # page that misses one notices the gap in the numbers and catches up.
            "capacity": 100,
            # Seconds an undelivered message waits for its reader before it expires.
            "expiry": 60,
            # Seconds a socket stays in a group without a disconnect: longer than any
            # socket lives, since Daphne closes them after a day (--websocket_timeout).
            "group_expiry": 86400,
        },
    }
}

# Shared by every process, so limits per user hold across all of them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
        # Several processes share the file now. WAL: readers never block the writer,
        # so a worker reading a whole room does not hold up the chat. IMMEDIATE: take
        # the write lock as a transaction starts, waiting up to 20 s for it, instead
        # of failing halfway with "database is locked".
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}

# Set before the first migrate: changing the user model later is a painful migration.
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "chat:room_list"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every this many seconds an open page says it is still there, and asks for any
# message it missed; a socket not heard from for CHAT_PRESENCE_TIMEOUT seconds is
# removed from presence by the worker, which looks every CHAT_PRUNE_EVERY seconds.
# More than a minute, since browsers may run the timers of hidden tabs only once a minute.
CHAT_HEARTBEAT_SECONDS = 20
CHAT_PRESENCE_TIMEOUT = 90
CHAT_PRUNE_EVERY = 30
# A room's presence list goes out at most once per this many seconds, however many
# people come and go meanwhile: a crowd arriving costs each member a few frames.
CHAT_PRESENCE_COALESCE = 0.5

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"count_layer_drops": {"()": "chat.overload.CountLayerDrops"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # channels-redis tells of dropped group messages at INFO: the filter counts them.
        "layer": {"class": "logging.StreamHandler", "filters": ["count_layer_drops"]},
    },
    # Every line goes out once, through the root logger. (With a handler of its own, it
    # gets no second one from a library that logs before logging is set up.)
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # Django's own handlers print only with DEBUG on: send its lines to the root too.
        "django": {"handlers": [], "level": "INFO"},
        # What the workers do, and every message dropped under overload.
        "chat": {"level": "INFO"},
        "channels_redis": {"handlers": ["layer"], "level": "INFO", "propagate": False},
    },
}
