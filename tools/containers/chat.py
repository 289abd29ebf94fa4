"""What a user does through nginx, as a script: pages and forms (uWSGI), websockets
(the Daphnes), a slash command (the worker). The standard library for HTTP, websockets
for the sockets; every wait has a deadline that says what it waited for."""

import contextlib
import html
import json
import re
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from websockets.sync.client import connect

DEADLINE = 60  # seconds for anything the stack must answer: generous on a slow laptop


def signed_in(page, username):
    return f"Signed in as <strong>{username}</strong>" in page


class Browser:
    """One user's cookies, over plain HTTP, as a browser would send them."""

    def __init__(self, url):
        self.url, self.cookies = url, CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path):
        with self.opener.open(self.url + path, timeout=DEADLINE) as response:
            return response.url, response.read().decode()

    def post(self, path, **fields):
        """Submit a form to `path`, with the CSRF token a page of the site gave us."""
        if not any(c.name == "csrftoken" for c in self.cookies):
            self.get("/accounts/login/")  # a page with a form sets the CSRF cookie
        fields["csrfmiddlewaretoken"] = self.cookie("csrftoken")
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(self.url + path, data, headers={"Origin": self.url})
        with self.opener.open(request, timeout=DEADLINE) as response:
            return response.url, response.read().decode()

    def cookie(self, name):
        return next(c.value for c in self.cookies if c.name == name)

    def sign_up(self, username, password):
        _, page = self.post(
            "/accounts/signup/", username=username, password1=password, password2=password
        )
        assert signed_in(page, username), f"sign-up of {username} failed: {page[:500]}"

    def log_in(self, username, password):
        _, page = self.post("/accounts/login/", username=username, password=password)
        assert signed_in(page, username), f"log-in of {username} failed: {page[:500]}"

    def create_room(self, name):
        """The room's slug and its invite link."""
        url, page = self.post("/new/", name=name)
        slug = re.search(r"/rooms/([\w-]+)/$", url)[1]
        invite = html.unescape(re.search(r'<input id="invite-link" [^>]*value="([^"]+)"', page)[1])
        return slug, invite

    def accept(self, invite):
        path = urllib.parse.urlsplit(invite).path
        url, _ = self.post(path)
        assert "/rooms/" in url, f"the invite {invite} did not lead to a room but to {url}"

    def open_socket(self, slug):
        """The room's websocket, with this user's session, from the site's own origin."""
        ws_url = self.url.replace("http://", "ws://") + f"/ws/rooms/{slug}/"
        headers = {"Cookie": f"sessionid={self.cookie('sessionid')}"}
        return connect(ws_url, origin=self.url, additional_headers=headers, open_timeout=DEADLINE)


def text_of(frame):
    """Everything a frame says, unescaped: the HTML it carries, in plain words."""
    with contextlib.suppress(ValueError):  # not JSON: an error frame in plain text, say
        frame = json.dumps(json.loads(frame), ensure_ascii=False)
    return html.unescape(frame)


def send(socket, body):
    socket.send(json.dumps({"kind": "message", "body": body, "HEADERS": {}}))


def wait_for(socket, pattern, what):
    """The first frame whose text matches `pattern`; fails after DEADLINE saying `what`."""
    deadline = time.monotonic() + DEADLINE
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = socket.recv(timeout=left)
        except TimeoutError:
            break
        if match := re.search(pattern, text_of(frame)):
            return match
    raise AssertionError(f"waited {DEADLINE} s for {what}, in vain")
