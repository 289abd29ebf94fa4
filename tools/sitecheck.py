"""Open every page of the built docs site in Chromium and check what a reader sees.

    python tools/sitecheck.py site [--screenshots site-screenshots]

`nox -s docs` runs it after `mkdocs build --strict`. The site is served on a free
127.0.0.1 port and each page is opened at 1280x800, the smallest laptop screen we
design for. A page fails when:

- a code note marker (material's circled "+") is outside the visible box of its
  code block, so a reader would have to scroll sideways to find it;
- a mermaid diagram does not render, or its text is smaller than 11 px on screen
  (a diagram wider than the column is scaled down to fit it);
- it requests anything from another host (web fonts, a CDN): the site must work
  on a conference's bad wifi, or none;
- it raises a JavaScript error or gets an HTTP error from the local server.

Closed admonitions are opened and every tab is shown before measuring, so notes
and diagrams in them are checked too. A full-page screenshot of each page, as it
first appears, goes to the screenshots directory for a human look. The summary
lists every page; the exit status is 1 on any problem.
"""

import argparse
import contextlib
import functools
import http.server
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import helpers

VIEWPORT = {"width": 1280, "height": 800}
MIN_DIAGRAM_TEXT_PX = 11

# The measurements, in JavaScript: added to every page before the page's own scripts.
MEASURE_JS = Path(__file__).with_name("sitecheck.js")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass  # the summary says what matters


def site_pages(site):
    """The URL path of every page in a built site: /, /setup/, ..., /404.html."""
    site = Path(site)
    return ["/" + html.relative_to(site).as_posix() for html in sorted(site.rglob("*.html"))]


def page_url_path(path):
    """/steps/04-htmx/index.html -> /steps/04-htmx/, the address a reader uses."""
    return path.removesuffix("index.html")


def screenshot_name(path):
    """/steps/04-htmx/ -> steps-04-htmx.png; / -> index.png; /404.html -> 404.png."""
    name = path.strip("/").removesuffix(".html").replace("/", "-")
    return f"{name or 'index'}.png"


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


def page_summary(markers, diagrams, problems):
    """What was checked on a page, in a few words."""
    hidden = sum(1 for problem in problems if problem.startswith("note "))
    parts = [f"{len(markers) - hidden}/{len(markers)} notes visible" if markers else "no notes"]
    if diagrams:
        sizes = [diagram_text_px(d) for d in diagrams if d["rendered"] and d["fontPx"]]
        smallest = f" (smallest text {min(sizes):.1f} px)" if sizes else ""
        parts.append(f"{len(diagrams)} diagram{'s' if len(diagrams) > 1 else ''}{smallest}")
    return ", ".join(parts)


def check_page(page, origin, path, screenshots):
    """Open one page; return (summary, problems)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    external, errors = [], []

    def route(route):
        # Nothing may leave the machine: record the request and refuse it.
        if is_external(route.request.url, origin):
            external.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def response(response):
        if response.status >= 400:
            errors.append(f"HTTP {response.status} for {response.url}")

    page.route("**/*", route)
    page.on("response", response)
    page.on("websocket", lambda socket: external.append(socket.url))
    page.on("pageerror", lambda error: errors.append(f"JavaScript error: {error}"))
    url_path = page_url_path(path)
    page.goto(origin + url_path, wait_until="load")
    # Diagrams that do not render within 15 s are reported as such below.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function("sitecheck.diagramsRendered()", timeout=15_000)
    page.evaluate("document.fonts.ready")
    shot = screenshots / screenshot_name(url_path)
    page.screenshot(path=shot, full_page=True, animations="disabled")
    page.evaluate("sitecheck.showEverything()")
    markers = page.evaluate("sitecheck.markers()")
    diagrams = page.evaluate("sitecheck.diagrams()")
    problems = marker_problems(markers) + diagram_problems(diagrams)
    problems += [f"requested {url}: the site must render offline" for url in external]
    problems += errors
    return page_summary(markers, diagrams, problems), problems


def serve(site):
    """Serve the site on a free loopback port from a thread; return the server."""
    handler = functools.partial(QuietHandler, directory=str(site))
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
    args = parser.parse_args(argv)
    pages = site_pages(args.site)
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
    print(f"Opening {len(pages)} pages of {args.site}/ in Chromium at 1280x800")
    failed = 0
    try:
        with sync_playwright() as playwright:
            try:
                browser = launch(playwright)
            except Error as error:
                reason = str(error).strip().splitlines()[0]
                print(f"FAIL  no browser could start ({reason}): {helpers.CHROMIUM_HINT}")
                return 1
            for path in pages:
                context = browser.new_context(viewport=VIEWPORT)
                context.add_init_script(path=MEASURE_JS)
                summary, problems = check_page(context.new_page(), origin, path, args.screenshots)
                context.close()
                print(f"{'FAIL' if problems else 'ok  '}  {page_url_path(path):<22} {summary}")
                for problem in problems:
                    print(f"        {problem}")
                failed += bool(problems)
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
