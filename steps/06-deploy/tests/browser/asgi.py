"""The project's ASGI application with static files served, as `runserver` does it."""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from backchat.asgi import application

application = ASGIStaticFilesHandler(application)
