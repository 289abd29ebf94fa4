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
    assert sitecheck.screenshot_name("/steps/04-htmx/", "-390") == "steps-04-htmx-390.png"


def test_the_markdown_page_behind_an_address(tmp_path, write):
    write("docs/index.md")
    write("docs/steps/04-htmx.md")
    docs = tmp_path / "docs"
    assert sitecheck.page_source(docs, "/") == docs / "index.md"
    assert sitecheck.page_source(docs, "/steps/04-htmx/") == docs / "steps/04-htmx.md"
    assert sitecheck.page_source(docs, "/404.html") is None


PAGE = """```text title="Procfile" annotate="1:1"
--8<-- "steps/05-workers/Procfile"
```

    ```python title="chat/models.py"

    --8<-- "steps/05-workers/chat/models.py"
    ```

```python title="chat/views.py"
--8<-- "steps/05-workers/chat/views.py:12:30"
```

```python
--8<-- "steps/05-workers/chat/urls.py"
```
"""


def test_only_blocks_that_include_a_whole_file_under_a_title_are_compared():
    assert sitecheck.whole_file_blocks(PAGE) == [
        ("Procfile", "steps/05-workers/Procfile"),
        ("chat/models.py", "steps/05-workers/chat/models.py"),
    ]


def test_a_copy_must_give_the_file_byte_for_byte():
    expected = "web: daphne\nworker: runworker\n"
    assert sitecheck.copy_problem("Procfile", "Procfile", expected, expected) is None
    # What Material's own copy gave: the spaces before a note marker, no final newline.
    assert sitecheck.copy_problem(
        "Procfile", "Procfile", "web: daphne  \nworker: runworker", expected
    ) == (
        "copying Procfile does not give Procfile: line 1 is 'web: daphne  ', "
        "the file has 'web: daphne'"
    )
    assert sitecheck.copy_problem(
        "Procfile", "Procfile", "web: daphne\nworker: runworker", expected
    ) == (
        "copying Procfile does not give Procfile: it has 2 lines, the file 3 "
        "(it drops its final newline)"
    )


def axe_finding(rule, impact, targets):
    return {
        "id": rule,
        "impact": impact,
        "help": f"{rule} help",
        "nodes": [{"target": [target]} for target in targets],
    }


def test_serious_and_critical_axe_findings_fail_a_page():
    violations = [
        axe_finding("color-contrast", "serious", [".md-header", "a.link"]),
        axe_finding("link-name", "critical", [".md-annotation__index"]),
        axe_finding("landmark-unique", "moderate", ["nav"]),
        axe_finding("region", "minor", ["p"]),
    ]
    assert sitecheck.axe_problems(violations) == [
        "axe: color-contrast (serious) on 2 elements, first .md-header: color-contrast help",
        "axe: link-name (critical) on 1 element, first .md-annotation__index: link-name help",
    ]


def test_a_lesser_axe_finding_that_lighthouse_scores_fails_a_page_too():
    violations = [
        axe_finding("heading-order", "moderate", ["h4#when-redis-is-down"]),
        axe_finding("landmark-unique", "moderate", ["nav"]),
    ]
    assert sitecheck.axe_problems(violations) == [
        "axe: heading-order (moderate) on 1 element, first h4#when-redis-is-down: "
        "heading-order help",
    ]


def test_only_a_page_with_a_diagram_loads_the_renderer():
    urls = ["http://127.0.0.1:1/", "http://127.0.0.1:1/assets/vendor/mermaid-11.17.2/x.mjs"]
    assert sitecheck.renderer_problem([diagram()], urls) is None
    assert sitecheck.renderer_problem([], urls[:1]) is None
    assert sitecheck.renderer_problem([], urls) == (
        "loads the diagram renderer (1 file(s)) but has no diagram"
    )


def test_a_page_heavier_than_the_limit_fails():
    assert sitecheck.weight_problem(1_400_000) is None
    assert sitecheck.weight_problem(5_800_000) == (
        "transfers 5.80 MB, more than 1.5 MB: a phone on conference wifi waits for it"
    )


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
    assert sitecheck.page_summary([], [], [], 690_123) == "no notes, 0.69 MB"


def test_the_site_is_served_compressed_as_a_web_host_serves_it(tmp_path, write):
    import gzip
    import urllib.request

    write("index.html", "<p>hello</p>" * 100)
    write("vendor/mermaid.esm.min.mjs", "export default 1;")
    server = sitecheck.serve(tmp_path)
    try:
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        request = urllib.request.Request(origin + "/", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(response.read()) == ("<p>hello</p>" * 100).encode()
        with urllib.request.urlopen(origin + "/vendor/mermaid.esm.min.mjs", timeout=60) as response:
            assert response.headers["Content-Type"] == "text/javascript"
            assert "Content-Encoding" not in response.headers  # the client did not ask
            assert response.read() == b"export default 1;"
    finally:
        server.shutdown()
        server.server_close()
