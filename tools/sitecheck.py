"""Open every page of the built docs site in Chromium and check what a reader sees.

    python tools/sitecheck.py site [--screenshots site-screenshots] [--page /steps/04-htmx/]

`nox -s docs` runs it after `mkdocs build --strict`. The site is served on a free
127.0.0.1 port, compressed as any web host serves it, and each page is opened
twice: at 1280x800, the smallest laptop screen we design for, in the light colour
scheme, and at 390x844, a phone, in the dark one. A page fails when:

- a code note marker (material's circled "+") is outside the visible box of its
  code block, at either width, so a reader would have to scroll sideways to find
  it; or the page itself is wider than the phone's screen;
- axe-core (vendored in tools/vendor/, never shipped on the pages) finds a serious
  or critical accessibility problem (WCAG 2.2 A and AA, and axe's best practices),
  or one that Lighthouse's accessibility score counts (a skipped heading level),
  in either colour scheme;
- the copy button of a code block that includes a whole file does not copy that
  file exactly, byte for byte (clicked in Chromium, read back from the clipboard);
- a page transfers more than 1.5 MB, everything it loads counted, or loads the
  diagram renderer without having a diagram;
- a mermaid diagram does not render, or its text is smaller than 11 px on screen
  (a diagram wider than the column is scaled down to fit it);
- it requests anything from another host (web fonts, a CDN): the site must work
  on a conference's bad wifi, or none;
- it raises a JavaScript error or gets an HTTP error from the local server.

Closed admonitions are opened and every tab is shown before measuring, so notes
and diagrams in them are checked too. A full-page screenshot of each page at each
width, as it first appears, goes to the screenshots directory for a human look.
The summary lists every page; the exit status is 1 on any problem.
"""

import argparse
import contextlib
import functools
import gzip
import http.server
import re
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import fences
import helpers

ROOT = Path(__file__).resolve().parent.parent
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"}
PHONE = {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark"}
MIN_DIAGRAM_TEXT_PX = 11
MAX_STEP_PAGE_BYTES = 1_500_000
# Deadlines for a machine that is slow and busy: generous, and each says what it waits for.
PAGE_LOAD_DEADLINE_S = 120  # the page and everything it loads
DIAGRAMS_DEADLINE_S = 60  # mermaid has drawn every diagram
SCREENSHOT_DEADLINE_S = 180  # Chromium has captured the whole page
CLICK_DEADLINE_S = 60  # a copy button can be clicked
# What axe-core checks: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
AXE_FAILS = {"serious", "critical"}
# Findings of lesser impact that Lighthouse's accessibility score counts all the same
# (Lighthouse 12.8's audits, axe-core 4.14's impacts): one skipped heading level
# (heading-order) took a page from 100 to 98. These fail a page too.
AXE_SCORED_BY_LIGHTHOUSE = {
    "aria-allowed-role",
    "aria-deprecated-role",
    "heading-order",
    "meta-viewport",
    "table-duplicate-name",
}
AXE_JS = ROOT / "tools" / "vendor" / "axe-core-4.14.1" / "axe.min.js"

# The measurements, in JavaScript: added to every page before the page's own scripts.
MEASURE_JS = Path(__file__).with_name("sitecheck.js")
# pymdownx.snippets: a whole file (no section, no lines) on one line.
WHOLE_FILE = re.compile(r"""^\s*-+8<-+\s+(["'])(?P<path>[^"':]+)\1\s*$""")
TITLE = re.compile(r'(?<=[ \t])title="(?P<value>[^"]*)"')
# What a web host compresses: text, not images.
COMPRESSED = (".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt", ".map")


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site as a web host does: JavaScript modules as JavaScript, text gzipped."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
    }

    def log_message(self, format, *args):
        pass  # the summary says what matters

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.is_file() and path.suffix in COMPRESSED):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def site_pages(site):
    """The URL path of every page in a built site: /, /setup/, ..., /404.html."""
    site = Path(site)
    return ["/" + html.relative_to(site).as_posix() for html in sorted(site.rglob("*.html"))]


def page_url_path(path):
    """/steps/04-htmx/index.html -> /steps/04-htmx/, the address a reader uses."""
    return path.removesuffix("index.html")


def screenshot_name(path, suffix=""):
    """/steps/04-htmx/ -> steps-04-htmx.png; / -> index.png; /404.html -> 404.png."""
    name = path.strip("/").removesuffix(".html").replace("/", "-")
    return f"{name or 'index'}{suffix}.png"


def page_source(docs, url_path):
    """The Markdown page behind an address: /steps/04-htmx/ -> docs/steps/04-htmx.md."""
    name = url_path.strip("/") or "index"
    for candidate in (Path(docs) / f"{name}.md", Path(docs) / name / "index.md"):
        if candidate.is_file():
            return candidate
    return None


def whole_file_blocks(markdown):
    """(title, path) of each code block that includes one whole file, in page order."""
    found = []
    for block in fences.fences(markdown.splitlines()):
        lines = [line for line in block.body if line.strip()]
        title = block.option(TITLE)
        include = WHOLE_FILE.match(lines[0]) if len(lines) == 1 else None
        if title and include:
            found.append((title, include["path"]))
    return found


def copy_problem(title, path, copied, expected):
    """What is wrong with the text that a copy button gave, or None when it is the file."""
    if copied == expected:
        return None
    copied_lines, expected_lines = copied.split("\n"), expected.split("\n")
    for number, (got, want) in enumerate(zip(copied_lines, expected_lines, strict=False), start=1):
        if got != want:
            return (
                f"copying {title} does not give {path}: line {number} is {got!r}, "
                f"the file has {want!r}"
            )
    missing = "its final newline" if expected.endswith("\n") and not copied.endswith("\n") else None
    return (
        f"copying {title} does not give {path}: it has {len(copied_lines)} lines, "
        f"the file {len(expected_lines)}" + (f" (it drops {missing})" if missing else "")
    )


def axe_problems(violations, fails=AXE_FAILS, rules=AXE_SCORED_BY_LIGHTHOUSE):
    """A problem for every serious or critical kind of finding that axe-core reports, and
    for every kind that Lighthouse's accessibility score counts."""
    return [
        f"axe: {v['id']} ({v['impact']}) on {len(v['nodes'])} element"
        f"{'s' if len(v['nodes']) > 1 else ''}, first {' '.join(v['nodes'][0]['target'])}: "
        f"{v['help']}"
        for v in violations
        if v["impact"] in fails or v["id"] in rules
    ]


def renderer_problem(diagrams, urls):
    """A page without a diagram that loads the diagram renderer anyway."""
    loaded = [url for url in urls if "mermaid" in urlsplit(url).path]
    if loaded and not diagrams:
        return f"loads the diagram renderer ({len(loaded)} file(s)) but has no diagram"
    return None


def weight_problem(transferred, limit=MAX_STEP_PAGE_BYTES):
    """A page that transfers more than the limit."""
    if transferred > limit:
        return (
            f"transfers {transferred / 1e6:.2f} MB, more than {limit / 1e6:.1f} MB: "
            "a phone on conference wifi waits for it"
        )
    return None


def is_external(url, origin):
    """True for a request that leaves the local server (data: and blob: stay in the page)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return False
    return f"{parts.scheme}://{parts.netloc}" != origin


def effective_text_px(font_px, shown_width, natural_width):
    """The text size a reader sees in an SVG that is scaled from its natural width."""
    return font_px * shown_width / natural_width if natural_width else font_px


def marker_problems(markers, slack=0.5):
    """A problem for every note marker outside the visible box of its code block."""
    problems = []
    for marker in markers:
        where = f"note {marker['number']} in " + (
            marker["title"] or f'the code block under "{marker["heading"]}"'
        )
        if marker["right"] - marker["left"] <= 0:
            problems.append(f"{where} is not displayed")
        elif marker["right"] > marker["boxRight"] + slack:
            past = marker["right"] - marker["boxRight"]
            problems.append(
                f"{where} is {past:.0f} px past the right edge of its code block: "
                f"a reader must scroll sideways to see it"
            )
        elif marker["left"] < marker["boxLeft"] - slack:
            problems.append(f"{where} is past the left edge of its code block")
    return problems


def diagram_problems(diagrams, minimum=MIN_DIAGRAM_TEXT_PX):
    """A problem for every diagram that did not render or whose text is too small to read."""
    problems = []
    for diagram in diagrams:
        where = f'the diagram under "{diagram["heading"]}"'
        if not diagram["rendered"]:
            problems.append(f"{where} did not render")
        elif diagram["kind"] == "error":
            problems.append(f"{where} is a mermaid syntax error")
        elif diagram["fontPx"] is not None and diagram_text_px(diagram) < minimum - 0.05:
            problems.append(
                f"{where} shows its text at {diagram_text_px(diagram):.1f} px (at least "
                f"{minimum} px is readable): {diagram['naturalWidth']:.0f} px wide, it is scaled "
                f"to {diagram['shownWidth']:.0f}; make it narrower (wrap: true, shorter labels)"
            )
    return problems


def diagram_text_px(diagram):
    """The smallest text of a rendered diagram, in pixels on the screen."""
    return effective_text_px(diagram["fontPx"], diagram["shownWidth"], diagram["naturalWidth"])


def page_summary(markers, diagrams, problems, transferred=None):
    """What was checked on a page, in a few words."""
    hidden = sum(1 for problem in problems if problem.startswith("note "))
    parts = [f"{len(markers) - hidden}/{len(markers)} notes visible" if markers else "no notes"]
    if diagrams:
        sizes = [diagram_text_px(d) for d in diagrams if d["rendered"] and d["fontPx"]]
        smallest = f" (smallest text {min(sizes):.1f} px)" if sizes else ""
        parts.append(f"{len(diagrams)} diagram{'s' if len(diagrams) > 1 else ''}{smallest}")
    if transferred is not None:
        parts.append(f"{transferred / 1e6:.2f} MB")
    return ", ".join(parts)


class Visit:
    """One page open in one browser context: what it requested, and what went wrong."""

    def __init__(self, context, origin, url_path):
        self.origin = origin
        self.external, self.errors, self.urls, self.transferred = [], [], [], 0
        context.on("requestfinished", self.finished)
        self.page = context.new_page()
        self.page.route("**/*", self.route)
        self.page.on("response", self.response)
        self.page.on("websocket", lambda socket: self.external.append(socket.url))
        self.page.on("pageerror", lambda error: self.errors.append(f"JavaScript error: {error}"))
        self.page.goto(origin + url_path, wait_until="load", timeout=PAGE_LOAD_DEADLINE_S * 1000)

    def route(self, route):
        # Nothing may leave the machine: record the request and refuse it.
        if is_external(route.request.url, self.origin):
            self.external.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def response(self, response):
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status} for {response.url}")

    def finished(self, request):
        # Bytes on the wire, as compressed: the page's own requests and its workers'.
        self.urls.append(request.url)
        sizes = request.sizes()
        self.transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]

    def settle(self):
        """Let the page finish loading: the search index, the diagrams, the fonts."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        problems = []
        try:
            self.page.wait_for_load_state("networkidle", timeout=PAGE_LOAD_DEADLINE_S * 1000)
        except PlaywrightTimeout:
            problems.append(f"waited {PAGE_LOAD_DEADLINE_S} s for the page to stop loading")
        # A diagram that does not render is reported by diagram_problems.
        with contextlib.suppress(PlaywrightTimeout):
            self.page.wait_for_function(
                "sitecheck.diagramsRendered()", timeout=DIAGRAMS_DEADLINE_S * 1000
            )
        self.page.evaluate("document.fonts.ready")
        return problems

    def screenshot(self, shot):
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.screenshot(
                path=shot,
                full_page=True,
                animations="disabled",
                timeout=SCREENSHOT_DEADLINE_S * 1000,
            )
        except PlaywrightTimeout:
            return [f"waited {SCREENSHOT_DEADLINE_S} s for Chromium to capture {shot.name}"]
        return []

    def axe(self):
        """axe-core's findings on the page as it is now: those that fail it, as problems."""
        self.page.add_script_tag(path=AXE_JS)
        violations = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']}).then(result => result.violations)",
            AXE_TAGS,
        )
        return axe_problems(violations)

    def copy_problems(self, root, source):
        """Click the copy button of every block that includes a whole file; compare."""
        problems = []
        blocks = whole_file_blocks(source.read_text(encoding="utf-8"))
        for title in dict.fromkeys(title for title, _ in blocks):
            paths = [path for name, path in blocks if name == title]
            shown = self.page.locator(".highlight").filter(
                has=self.page.locator(".filename", has_text=re.compile(f"^{re.escape(title)}$"))
            )
            if shown.count() != len(paths):
                problems.append(
                    f"copy: {source.name} has {len(paths)} blocks titled {title!r} that include "
                    f"a whole file, the page shows {shown.count()}"
                )
                continue
            for index, path in enumerate(paths):
                self.page.evaluate("navigator.clipboard.writeText('')")
                button = shown.nth(index).locator("[data-md-type=copy]")
                button.click(timeout=CLICK_DEADLINE_S * 1000)
                copied = self.page.evaluate("navigator.clipboard.readText()")
                expected = (root / path).read_text(encoding="utf-8")
                problem = copy_problem(title, path, copied, expected)
                problems += [problem] if problem else []
        return problems

    def measured(self):
        """Open what is closed, then measure the notes and the diagrams."""
        self.page.evaluate("sitecheck.showEverything()")
        markers = self.page.evaluate("sitecheck.markers()")
        diagrams = self.page.evaluate("sitecheck.diagrams()")
        return markers, diagrams

    def leaks(self):
        external = [f"requested {url}: the site must render offline" for url in self.external]
        return external + self.errors


def check_page(browser, origin, path, screenshots, root=ROOT):
    """Open one page on a laptop and on a phone; return (summary, problems)."""
    url_path = page_url_path(path)
    problems = []

    desktop = browser.new_context(**DESKTOP)
    desktop.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    desktop.add_init_script(path=MEASURE_JS)
    try:
        visit = Visit(desktop, origin, url_path)
        problems += visit.settle()
        problems += visit.screenshot(screenshots / screenshot_name(url_path))
        transferred = visit.transferred
        problems += [p for p in [weight_problem(transferred)] if p]
        markers, diagrams = visit.measured()
        source = page_source(root / "docs", url_path)
        problems += visit.copy_problems(root, source) if source else []
        problems += marker_problems(markers) + diagram_problems(diagrams)
        problems += [p for p in [renderer_problem(diagrams, visit.urls)] if p]
        problems += visit.axe()
        problems += visit.leaks()
    finally:
        desktop.close()

    phone = browser.new_context(**PHONE)
    phone.add_init_script(path=MEASURE_JS)
    try:
        visit = Visit(phone, origin, url_path)
        problems += visit.settle()
        problems += visit.screenshot(screenshots / screenshot_name(url_path, "-390"))
        wider = visit.page.evaluate("sitecheck.overflow()")
        if wider > 0.5:
            problems.append(f"at 390 px the page is {wider:.0f} px wider than the screen")
        phone_markers, _ = visit.measured()
        problems += [f"at 390 px, {p}" for p in marker_problems(phone_markers)]
        problems += [f"at 390 px, dark: {p}" for p in visit.axe()]
        problems += visit.leaks()
    finally:
        phone.close()
    return page_summary(markers, diagrams, problems, transferred), problems


def serve(site):
    """Serve the site on a free loopback port from a thread; return the server."""
    handler = functools.partial(SiteHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def launch(playwright):
    """Debian's /usr/bin/chromium needs no download; without one, Playwright's own browser."""
    return playwright.chromium.launch(
        executable_path=helpers.chromium(), args=helpers.CHROMIUM_ARGS
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site, as `mkdocs build` left it")
    parser.add_argument(
        "--screenshots", type=Path, default=Path("site-screenshots"), help="where PNGs go"
    )
    parser.add_argument(
        "--page", action="append", help="check only this page (/steps/04-htmx/); repeatable"
    )
    args = parser.parse_args(argv)
    pages = [p for p in site_pages(args.site) if not args.page or page_url_path(p) in args.page]
    if not pages:
        print(f"FAIL  no pages in {args.site}/: build the site first (`mkdocs build`)")
        return 1
    try:  # imported here, so that the tests of the logic above need no Playwright
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        print("FAIL  Playwright is not installed: `pip install playwright` (nox -s docs does)")
        return 1
    args.screenshots.mkdir(parents=True, exist_ok=True)
    server = serve(args.site)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"Opening {len(pages)} pages of {args.site}/ in Chromium at 1280x800 and 390x844")
    failed = 0
    try:
        with sync_playwright() as playwright:
            try:
                browser = launch(playwright)
            except Error as error:
                reason = str(error).strip().splitlines()[0]
                print(f"FAIL  no browser could start ({reason}): {helpers.CHROMIUM_HINT}")
                return 1
            try:
                for path in pages:
                    summary, problems = check_page(browser, origin, path, args.screenshots)
                    print(f"{'FAIL' if problems else 'ok  '}  {page_url_path(path):<22} {summary}")
                    for problem in problems:
                        print(f"        {problem}")
                    failed += bool(problems)
            finally:
                browser.close()
    finally:
        server.shutdown()
    print(f"Screenshots: {args.screenshots}/")
    if failed:
        print(f"\n{failed} of {len(pages)} pages have problems.")
        return 1
    print(f"\nAll {len(pages)} pages passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
