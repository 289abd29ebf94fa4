"""WSGI entry point: how a classic server such as uWSGI runs Backchat."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backchat.settings")

application = get_wsgi_application()
