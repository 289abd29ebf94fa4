from django.urls import path, re_path

from . import commands, consumers, presence, workers

websocket_urlpatterns = [
    path("ws/rooms/<slug:slug>/", consumers.ChatConsumer.as_asgi()),
    # Every other path, last: a clean close instead of an error 500 with a traceback.
    re_path("", consumers.NoRouteConsumer.as_asgi()),
]

# Which worker reads which channel, for `manage.py runworker <channel>`.
worker_channels = {
    commands.QUICK: workers.CommandWorker.as_asgi(),
    commands.SLOW: workers.CommandWorker.as_asgi(),  # the same, in a process of its own
    presence.WORKER: workers.PresenceWorker.as_asgi(),
}
