"""The HTML the consumer sends: rendered from templates, so autoescaped like any page."""

import json

from django.template.loader import render_to_string


def frame(html, events=None):
    """The envelope our htmx extension unwraps: HTML to swap, plus events to fire."""
    return json.dumps({"html": html, "events": events or {}})


def messages_frame(messages, swap="beforeend"):
    html = render_to_string("chat/ws/messages.html", {"messages": messages, "swap": swap})
    return frame(html, {"chat:message": {"count": len(messages)}})


def presence_frame(usernames):
    return frame(render_to_string("chat/ws/presence.html", {"usernames": usernames}))


def sent_frame():
    """The answer to the sender of a message, once it is saved: nothing to swap."""
    return frame("", {"chat:sent": {}})


def error_frame(error):
    return frame(render_to_string("chat/ws/error.html", {"error": error}), {"chat:error": {}})
