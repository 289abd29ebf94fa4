from django.urls import path, re_path

from . import consumers

websocket_urlpatterns = [
    path("ws/rooms/<slug:slug>/", consumers.ChatConsumer.as_asgi()),
    # Every other path, last: a clean close instead of an error 500 with a traceback.
    re_path("", consumers.NoRouteConsumer.as_asgi()),
]
