"""ASGI entry point: Django for HTTP, Channels consumers for websockets and workers."""

import os

from channels.auth import AuthMiddlewareStack
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

from backchat.origins import SameOriginValidator

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backchat.settings")
# Set Django up before importing anything that touches models, like our consumers.
django_asgi_app = get_asgi_application()

from chat.routing import websocket_urlpatterns, worker_channels  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Refuse pages from other origins, then find the user from the session cookie.
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        # Jobs that `manage.py runworker` reads from the channel layer.
        "channel": ChannelNameRouter(worker_channels),
    }
)
