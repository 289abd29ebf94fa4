import sitecheck


def marker(number, left, right, box=(300, 1200), title="chat/models.py"):
    """A marker as sitecheck.js measures it."""
    return {
        "number": str(number),
        "title": title,
        "heading": "Models",
        "left": left,
        "right": right,
        "boxLeft": box[0],
        "boxRight": box[1],
    }


def diagram(font_px=16, shown=900, natural=900, rendered=True, kind="sequence"):
    return {
        "heading": "The big picture",
        "rendered": rendered,
        "kind": kind,
        "fontPx": font_px,
        "shownWidth": shown,
        "naturalWidth": natural,
    }


def test_site_pages_and_their_addresses(tmp_path, write):
    for page in ["index.html", "404.html", "steps/04-htmx/index.html", "search/index.json"]:
        write(page)
    pages = sitecheck.site_pages(tmp_path)
    assert pages == ["/404.html", "/index.html", "/steps/04-htmx/index.html"]
    assert [sitecheck.page_url_path(p) for p in pages] == ["/404.html", "/", "/steps/04-htmx/"]
    assert [sitecheck.screenshot_name(sitecheck.page_url_path(p)) for p in pages] == [
        "404.png",
        "index.png",
        "steps-04-htmx.png",
    ]


def test_only_the_local_server_is_not_external():
    origin = "http://127.0.0.1:8123"
    assert not sitecheck.is_external("http://127.0.0.1:8123/assets/x.js", origin)
    assert not sitecheck.is_external("data:image/svg+xml;base64,AAAA", origin)
    assert sitecheck.is_external("https://fonts.googleapis.com/css?family=Roboto", origin)
    assert sitecheck.is_external("http://127.0.0.1:9999/", origin)  # another local server
    assert sitecheck.is_external("ws://127.0.0.1:8123/", origin)


def test_markers_past_the_edge_of_their_code_block_are_reported():
    markers = [
        marker(1, 400, 420),
        marker(2, 1180, 1200.4),  # touches the edge: still visible
        marker(3, 1190, 1230),
        marker(4, 0, 0, title=None),  # never laid out
    ]
    assert sitecheck.marker_problems(markers) == [
        "note 3 in chat/models.py is 30 px past the right edge of its code block: "
        "a reader must scroll sideways to see it",
        'note 4 in the code block under "Models" is not displayed',
    ]


def test_diagram_text_is_measured_as_shown():
    assert sitecheck.effective_text_px(16, 688, 1693) == 16 * 688 / 1693
    assert sitecheck.effective_text_px(16, 500, 0) == 16  # no viewBox: not scaled
    problems = sitecheck.diagram_problems(
        [
            diagram(),
            diagram(shown=938, natural=1062),  # 14.1 px: fine
            diagram(shown=688, natural=1693),  # 6.5 px
            diagram(rendered=False),
            diagram(kind="error"),
            diagram(font_px=None),  # no text to measure
        ]
    )
    assert [problem.split(":")[0] for problem in problems] == [
        'the diagram under "The big picture" shows its text at 6.5 px (at least 11 px is readable)',
        'the diagram under "The big picture" did not render',
        'the diagram under "The big picture" is a mermaid syntax error',
    ]


def test_page_summary():
    markers = [marker(1, 400, 420), marker(2, 1190, 1230)]
    problems = sitecheck.marker_problems(markers)
    diagrams = [diagram(shown=938, natural=1062), diagram()]
    assert sitecheck.page_summary(markers, diagrams, problems) == (
        "1/2 notes visible, 2 diagrams (smallest text 14.1 px)"
    )
    assert sitecheck.page_summary([], [], []) == "no notes"
