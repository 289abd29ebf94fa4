"""ASGI entry point, for async servers such as Daphne; `runserver` uses wsgi.py."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backchat.settings")

application = get_asgi_application()
