"""ASGI entry point: unused until step 03 teaches it websockets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backchat.settings")

application = get_asgi_application()
