"""Settings for Backchat, from the environment: the same code on a laptop and a server.

Production needs at least DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS; the variables
read below are all there is. DJANGO_DEBUG=1 is for a laptop only.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name):
    return os.environ.get(name, "").lower() in ("1", "true", "yes", "on")


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if DEBUG and not SECRET_KEY:
    SECRET_KEY = "django-insecure-debug-only-never-deploy-this-key"
# The same test as `manage.py check --deploy`, but a refusal to start, not a warning.
elif len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be a long random secret (50 characters or more). Make one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
# Other full origins (https://chat.example.com) trusted for forms and websockets.
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Behind nginx with TLS: cookies only over HTTPS, HSTS, and believe nginx's
# X-Forwarded-Proto (it must set it, and strip one sent by the client).
if env_flag("DJANGO_HTTPS"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Only allows submitting the domain to browsers' preload list: it lists nothing itself.
    SECURE_HSTS_PRELOAD = True

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

# Two layers by alias, on the same Redis. "default" carries the sockets' groups and
# channels: the consumers, and everything that sends to them. "workers" carries only
# the workers' channels (`runworker --layer workers`), so the sockets' layer can be
# swapped for the pub/sub one without making each job a broadcast to every worker.
CHANNEL_LAYERS = {
    alias: {
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
    for alias in ("default", "workers")
}

# Shared by every process, so limits per user hold across all of them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}

# SQLite unless DATABASE_URL says otherwise, e.g. postgres://backchat:secret@db:5432/backchat.
# Connections are kept for 10 minutes: with the default of 0, Channels would close and
# reopen one around every message. The health check replaces one the server dropped.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=600, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Many processes share the file. WAL: readers never block the writer, so a worker
    # reading a whole room does not hold up the chat. IMMEDIATE: take the write lock as a
    # transaction starts, waiting up to 20 s for it, instead of failing halfway.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
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
# Where `collectstatic` gathers them for nginx, with a hash in every name, so nginx
# can tell browsers to keep them for a year: a changed file gets a new name.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

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
