"""Which web pages may open a websocket to Backchat: only its own."""

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host


class SameOriginValidator:
    """Refuses a websocket handshake unless its Origin is this very site.

    Channels' AllowedHostsOriginValidator compares only the host, so a page on
    http://localhost:3000 (any port, any scheme) passes. This compares the whole
    origin, as Django's CSRF check does for forms: scheme, host and port must be
    the ones the browser connected to, with the host in ALLOWED_HOSTS, or the
    origin must be listed in CSRF_TRUSTED_ORIGINS.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if self.same_origin(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

    @staticmethod
    def same_origin(scope):
        headers = dict(scope["headers"])
        origin = headers.get(b"origin", b"").decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1")
        domain, _port = split_domain_port(host)
        if not validate_host(domain, settings.ALLOWED_HOSTS):
            return False
        # Daphne leaves "scheme" out of websocket scopes: take plain http, as runserver serves.
        scheme = "https" if scope.get("scheme") == "wss" else "http"
        return origin == f"{scheme}://{host}" or origin in settings.CSRF_TRUSTED_ORIGINS
