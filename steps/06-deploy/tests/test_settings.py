"""The production settings, read from the environment, in processes of their own."""

import os
import re
import subprocess
import sys

import pytest

from .processes import STEP_DIR

SECRET = "a-long-random-secret-for-the-tests-only-0123456789abcdef"


def manage(*args, **env):
    """manage.py with only these variables set (and PATH)."""
    environment = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "backchat.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=STEP_DIR,
        env=environment | env,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    "secret",
    [None, "short", "django-insecure-" + "x0y1z2" * 10, "ab" * 30],
    ids=["missing", "short", "insecure", "repetitive"],
)
def test_production_refuses_to_start_without_a_real_secret(secret):
    env = {} if secret is None else {"DJANGO_SECRET_KEY": secret}
    checked = manage("check", **env)
    assert checked.returncode == 1
    assert "DJANGO_SECRET_KEY must be a long random secret (50 characters or more)" in (
        checked.stderr
    )


def test_debug_on_a_laptop_needs_no_secret():
    assert manage("check", DJANGO_DEBUG="1").returncode == 0


def test_check_deploy_leaves_only_what_needs_https():
    checked = manage("check", "--deploy", DJANGO_SECRET_KEY=SECRET)
    warnings = sorted(set(re.findall(r"\(security\.(W\d+)\)", checked.stderr)))
    # HSTS, the HTTPS redirect and the two secure cookies: a loopback demo has no TLS.
    assert warnings == ["W004", "W008", "W012", "W016"]


def test_check_deploy_is_clean_behind_https():
    checked = manage("check", "--deploy", DJANGO_SECRET_KEY=SECRET, DJANGO_HTTPS="1")
    assert checked.returncode == 0
    assert "System check identified no issues (0 silenced)." in checked.stdout


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        (None, "django.db.backends.sqlite3"),
        ("postgres://backchat:secret@db:5432/backchat", "django.db.backends.postgresql"),
    ],
)
def test_database_url_picks_the_database(url, engine):
    env = {"DJANGO_SECRET_KEY": SECRET} | ({"DATABASE_URL": url} if url else {})
    code = "from django.conf import settings; d = settings.DATABASES['default']; "
    code += "print(d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    shell = manage("shell", "--verbosity=0", "-c", code, **env)
    assert shell.stdout.split() == [engine, "600", "True"]
