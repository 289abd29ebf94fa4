"""The users' side: what a browser does, by hand, from the users host.

Every page and socket goes through nginx, on connections opened on the users host
(Network.inside), as from a browser elsewhere on the network.
"""

import html
import http.cookiejar
import json
import re
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack

from websockets.sync.client import connect

MESSAGE = re.compile(
    r'<article class="message(?: command)?" id="message-\d+" data-seq="(\d+)">\s*'
    r'<strong class="author">([^<]*)</strong>.*?<p>(.*?)</p>',
    re.DOTALL,
)


def messages_in(fragment):
    """The numbered messages in some HTML, a frame or a page: [(seq, author, body)]."""
    return [
        (int(seq), html.unescape(author), html.unescape(body))
        for seq, author, body in MESSAGE.findall(fragment)
    ]


def parse(frame):
    """A frame as the tests compare it: ("presence", [usernames]), ("messages",
    [(seq, author, body)]), ("reply", text), ("error", text) or ("sent", None)."""
    fragment = json.loads(frame)["html"]
    if not fragment:  # the answer to the sender: its message is saved
        return "sent", None
    target = re.match(r'<\w+ id="([\w-]+)"', fragment)[1]
    text = html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()
    if target == "presence":
        return "presence", text.split()
    if target == "chat-error":
        return "error", text
    if 'class="message reply"' in fragment:
        return "reply", html.unescape(re.search(r"<p>(.*?)</p>", fragment, re.DOTALL)[1])
    return "messages", messages_in(fragment)


class Browser:
    """One user's browser: cookies, pages and forms over HTTP, and the lobby's socket."""

    def __init__(self, network, site):
        self.network, self.site = network, site
        self.cookies = http.cookiejar.CookieJar()
        handler = urllib.request.HTTPCookieProcessor(self.cookies)
        self.opener = urllib.request.build_opener(handler)
        self.sockets = ExitStack()

    def open(self, path, form=None):
        """GET the page at `path`, or POST `form` to it: the path where it ends up, after
        any redirect, and the page."""
        data = None if form is None else urllib.parse.urlencode(form).encode()
        url = f"{self.site}{path}"
        with self.network.inside("users"), self.opener.open(url, data, timeout=30) as response:
            return response.url.removeprefix(self.site), response.read().decode()

    def submit(self, path, **fields):
        """Fill in the form of the page at `path` and send it, with its CSRF token."""
        _, page = self.open(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        return self.open(path, {"csrfmiddlewaretoken": token, **fields})

    def open_lobby(self, after=None):
        """The lobby page's socket. A page that reconnects names the newest message it
        has, in ?after=, and the server sends what it missed."""
        url = self.site.replace("http", "ws", 1) + "/ws/rooms/lobby/"
        if after is not None:
            url += f"?after={after}"
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)
        headers = {"Origin": self.site, "Cookie": cookies}
        with self.network.inside("users"):
            socket = connect(url, additional_headers=headers, open_timeout=30)
        return Tab(self.sockets.enter_context(socket))

    def close(self):
        self.sockets.close()


class Tab:
    """A lobby page's socket. The presence worker sends the list of who is here whenever
    it sees fit: receive() keeps those lists in `presence`, passes over the answers
    that a message was saved, and returns the next frame of any other kind, whole,
    for the test to compare."""

    def __init__(self, socket):
        self.socket = socket
        self.presence = []

    def send(self, body):
        self.socket.send(json.dumps({"kind": "message", "body": body}))

    def receive(self):
        while True:
            kind, content = parse(self.socket.recv(timeout=30))
            if kind == "presence":
                self.presence = content
            elif kind != "sent":
                return kind, content

    def wait_until_present(self, username):
        """Read presence lists, and nothing else, until one lists `username`: this socket
        is in the room's group by then, and gets every message sent from now on."""
        deadline = time.monotonic() + 30
        while username not in self.presence:
            frame = self.socket.recv(timeout=max(deadline - time.monotonic(), 0))
            kind, self.presence = parse(frame)
            assert kind == "presence", f"expected a presence list, got {(kind, self.presence)}"
