"""Notes and changed-line highlights for code included from steps/, without touching it.

mkdocs-material turns a comment such as ``# (1)!`` in a code block into a
clickable note, taken from the numbered list that follows the block. The code on
these pages is included from ``steps/`` by pymdownx.snippets, and attendees copy
those files, so the markers cannot live there. This hook adds them on the way in:

    ```python title="chat/models.py" linenums="1" annotate="12:1 31:2"
    --8<-- "steps/01-django/chat/models.py"
    ```

    1.  The note for line 12.
    2.  The note for line 31.

``annotate`` holds ``LINE:MARKER`` or ``LINE:MARKER:TEXT`` items, separated by
spaces. LINE counts the lines of the block once the snippets are included,
starting at 1, like ``hl_lines`` does (so with ``linenums="1"`` and a whole
file it is the line number you see). The optional TEXT (no spaces) must occur
in that line: write ``annotate="12:1:SlugField"`` and the build fails the day
line 12 stops being the slug field, instead of pinning the note elsewhere.

The marker is written as a comment in the fence's language (``# (1)!``,
``// (1)!``, ``{# (1)! #}``, ``<!-- (1)! -->``, ``/* (1)! */``) at the end of
that line; on a line that already ends in a ``#`` or ``//`` comment, ``(1)`` is
added to that comment instead, so its text stays visible. A line longer than
100 columns would push its marker past the right edge of the code block at
1280 px, so there the marker goes after the line's indentation (``{# (1)! #}``,
``<!-- (1)! -->`` and ``/* (1)! */`` can sit mid-line; ``#`` and ``//`` cannot, so
such a line is an error). The ``annotate`` attribute is removed before
pymdownx.superfences reads the fence. The numbered list must follow the block
directly, as material expects.

The build stops with an AnnotateError for a LINE outside the block, a line
without its TEXT, a malformed item, a language without a known comment syntax,
a marker that Pygments would not highlight as a comment (inside a string, say),
or markers out of reading order (within a block, MARKER must grow with LINE,
so the notes read top to bottom): notes must never drift silently onto the
wrong line, vanish or jump around.

``hl_lines="changed"`` on a fence that includes one whole file of a step
(``--8<-- "steps/02-auth/chat/models.py"``) highlights the lines that differ
from the same file in the previous step (``steps/01-django/chat/models.py``),
computed at build time, so the highlighting follows every edit of the steps.
It is an error on a file the previous step does not have.

An empty fence marked ``stepdiff="04-htmx"`` is filled with the whole diff from
the previous step to steps/04-htmx, made at build time by ``step_diff`` in
tools/stepdiff.py, so no generated diff is committed or can go stale:

    ```diff stepdiff="04-htmx"
    ```

Two more things happen to every built page: its code blocks are kept out of the
search index (``on_page_content``), and a page with a mermaid diagram, and only
such a page, loads the diagram renderer (``on_post_page``).

Registered in mkdocs.yml under ``hooks:``; ``on_config`` adds the extension.
"""

import difflib
import importlib.util
import re
from itertools import pairwise
from pathlib import Path

from markdown import Extension
from markdown.preprocessors import Preprocessor
from mkdocs.utils import get_relative_url
from pygments.lexers import get_lexer_by_name
from pygments.token import Comment


def load_tool(name):
    """A module of tools/, such as tools/stepdiff.py, the repo's one definition of a step's
    files and of its diff, or tools/fences.py, the fence parser that tools/check.py uses too.

    They are scripts beside the other tools, not an installed package: load them from
    their path instead of putting tools/ on everybody's sys.path.
    """
    path = Path(__file__).resolve().parents[2] / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fences = load_tool("fences")


# How to write marker N as a comment, by fence language.
COMMENT_STYLES = {
    language: style
    for style, languages in {
        "# ({})!": "python py toml ini cfg yaml yml bash sh shell dockerfile docker nginx conf",
        "// ({})!": "js javascript",
        "{{# ({})! #}}": "html+django htmldjango django html+jinja jinja",
        "<!-- ({})! -->": "html xml",
        "/* ({})! */": "css",
    }.items()
    for language in languages.split()
}

# At 1280 px, with the page's table of contents in the left sidebar (mkdocs.yml),
# a code block shows about 105 columns: a marker after a longer line than this
# would need horizontal scrolling to be seen (tools/sitecheck.py checks it).
VISIBLE_COLUMNS = 100
ITEM = re.compile(r"^(?P<line>\d+):(?P<marker>\d+)(?::(?P<text>\S+))?$")

# The Pygments tokens whose CSS classes (.c, .c1, .cm) material searches for markers.
MATERIAL_COMMENTS = {Comment, Comment.Single, Comment.Multiline}


class AnnotateError(ValueError):
    """An ``annotate`` attribute that cannot be applied."""


def rewrite_fences(lines, change):
    """The lines with every fenced block (tools/fences.py) replaced by ``change(block)``.

    ``change`` returns the lines that take the place of the block's opening line,
    body and closing line.
    """
    out, index = [], 0
    for block in fences.fences(lines):
        out.extend(lines[index : block.start])
        out.extend(change(block))
        index = block.end + 1
    out.extend(lines[index:])
    return out


def closing(lines, block):
    """The block's closing line, as a list: empty for a block that never closes."""
    return lines[block.end : block.end + 1]


class AnnotatePreprocessor(Preprocessor):
    def run(self, lines):
        def change(block):
            if block.option(fences.ANNOTATE) is None:
                return lines[block.start : block.end + 1]
            body = self.annotate(block.body, block, block.notes)
            return [block.without(fences.ANNOTATE), *body, *closing(lines, block)]

        return rewrite_fences(lines, change)

    @staticmethod
    def annotate(body, block, items):
        where = f"in the code block opened by {block.opening.strip()!r}"
        language = block.lang.lower()
        style = COMMENT_STYLES.get(language)
        if style is None:
            raise AnnotateError(f"annotate: no comment syntax known for {language!r} {where}")
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
        commented = lines_ending_in_a_comment(body, lexer)
        body = list(body)
        size = len("\n".join(body).rstrip().splitlines())  # trailing blank lines do not show
        markers = {}
        for item in items:
            match = ITEM.match(item)
            if not match:
                raise AnnotateError(f"annotate: {item!r} is not LINE:MARKER[:TEXT] {where}")
            number, marker = int(match["line"]), int(match["marker"])
            if not 1 <= number <= size:
                raise AnnotateError(
                    f"annotate: line {number} is outside the block's {size} lines {where}"
                )
            if match["text"] and match["text"] not in body[number - 1]:
                raise AnnotateError(
                    f"annotate: line {number} does not contain {match['text']!r} {where}; "
                    f"it reads {body[number - 1].strip()!r}"
                )
            if number in markers:
                raise AnnotateError(f"annotate: line {number} has two markers {where}")
            markers[number] = marker
        check_reading_order(markers, where)
        columns = {}  # line number -> column of the marker's "(N)"
        for number, marker in markers.items():
            text = body[number - 1].rstrip()
            mark = style.format(marker)
            closed = not mark.startswith(("#", "//"))  # a comment that can sit mid-line
            if len(text) > VISIBLE_COLUMNS:
                if not closed:
                    raise AnnotateError(
                        f"annotate: line {number} is {len(text)} columns long, so its marker "
                        f"would sit past the right edge at 1280 px {where}; note a shorter line"
                    )
                # After the indentation, where it shows without scrolling.
                indent = text[: len(text) - len(text.lstrip())]
                body[number - 1] = f"{indent}{mark}{text.lstrip()}"
                columns[number] = len(indent) + mark.index("(")
            elif number not in commented:
                body[number - 1] = f"{text}  {mark}"
                columns[number] = len(text) + 2 + mark.index("(")
            elif not closed:
                # Keep the comment that is already there: the marker goes at its
                # end without "!", so material keeps the comment's text.
                body[number - 1] = f"{text} ({marker})"
                columns[number] = len(text) + 1
            else:
                raise AnnotateError(
                    f"annotate: line {number} already ends in a comment {where}; "
                    "put the note on another line"
                )
        # Material only turns markers inside comments into notes: a marker that
        # landed in a string (a docstring, say) would show up as text.
        comments = comment_ranges("\n".join(body), lexer)
        starts = line_starts(body)
        lost = [n for n in markers if not in_ranges(starts[n] + columns[n], comments)]
        if lost:
            raise AnnotateError(f"annotate: line(s) {sorted(lost)} cannot carry a comment {where}")
        return body


def check_reading_order(markers, where):
    """Notes are numbered in reading order: marker numbers grow with the line numbers."""
    for (line, marker), (next_line, next_marker) in pairwise(sorted(markers.items())):
        if next_marker <= marker:
            raise AnnotateError(
                f"annotate: marker {next_marker} on line {next_line} follows marker {marker} "
                f"on line {line} {where}; number the notes in reading order (renumber the "
                "annotate items and the numbered list below the block together)"
            )


def line_starts(body):
    """{line number: offset of its first character in the joined code}."""
    starts, offset = {}, 0
    for number, line in enumerate(body, start=1):
        starts[number] = offset
        offset += len(line) + 1
    return starts


def comment_ranges(code, lexer):
    """(start, stop) offsets of the tokens that material searches for markers."""
    return [
        (index, index + len(value))
        for index, token_type, value in lexer.get_tokens_unprocessed(code)
        if token_type in MATERIAL_COMMENTS
    ]


def in_ranges(offset, ranges):
    return any(start <= offset < stop for start, stop in ranges)


def lines_ending_in_a_comment(body, lexer):
    """The 1-based numbers of the lines whose last visible character is in a comment."""
    comments = comment_ranges("\n".join(body), lexer)
    found = set()
    for number, start in line_starts(body).items():
        last = len(body[number - 1].rstrip()) - 1  # the line's last visible character
        if last >= 0 and in_ranges(start + last, comments):
            found.add(number)
    return found


CHANGED = re.compile(r'(?<=[ \t])hl_lines="changed"')
WHOLE_STEP_FILE = re.compile(r'^[ \t]*-+8<-+[ \t]+"steps/(?P<step>[^/"]+)/(?P<path>[^":]+)"[ \t]*$')


class ChangedLinesPreprocessor(Preprocessor):
    """Turns ``hl_lines="changed"`` into the line numbers changed since the previous step."""

    def __init__(self, md, root, stepdiff):
        super().__init__(md)
        self.root = Path(root)
        self.stepdiff = stepdiff

    def run(self, lines):
        def change(block):
            if not CHANGED.search(block.rest):
                return lines[block.start : block.end + 1]
            include = WHOLE_STEP_FILE.match(block.body[0]) if block.body else None
            if not include:
                raise AnnotateError(
                    f'hl_lines="changed" needs a whole file of a step on the next line: '
                    f"{block.opening!r}"
                )
            numbers = self.changed_lines(include["step"], include["path"])
            opening = CHANGED.sub(f'hl_lines="{numbers}"' if numbers else "", lines[block.start])
            return [opening, *lines[block.start + 1 : block.end + 1]]

        return rewrite_fences(lines, change)

    def changed_lines(self, step, path):
        previous = previous_step(self.stepdiff, self.root, step, 'hl_lines="changed"')
        old = self.root / "steps" / previous / path
        if not old.is_file():
            raise AnnotateError(f'hl_lines="changed": {old} does not exist, all lines are new')
        new = (self.root / "steps" / step / path).read_text(encoding="utf-8").splitlines()
        old_lines = old.read_text(encoding="utf-8").splitlines()
        matcher = difflib.SequenceMatcher(None, old_lines, new, autojunk=False)
        numbers = []
        for tag, _, _, first, last in matcher.get_opcodes():
            if tag in ("replace", "insert"):
                numbers.append(f"{first + 1}-{last}" if last > first + 1 else f"{first + 1}")
        return " ".join(numbers)


class StepDiffPreprocessor(Preprocessor):
    """Fills an empty fence marked ``stepdiff="04-htmx"`` with that step's whole diff."""

    def __init__(self, md, root, stepdiff):
        super().__init__(md)
        self.root = Path(root)
        self.stepdiff = stepdiff

    def run(self, lines):
        def change(block):
            step = block.option(fences.STEPDIFF)
            if step is None:
                return lines[block.start : block.end + 1]
            if any(line.strip() for line in block.body):
                raise AnnotateError(
                    f"stepdiff: the hook fills this block; leave it empty: {block.opening!r}"
                )
            diff = [block.indent + text if text else text for text in self.diff(step).splitlines()]
            return [block.without(fences.STEPDIFF), *diff, *closing(lines, block)]

        return rewrite_fences(lines, change)

    def diff(self, step):
        previous = previous_step(self.stepdiff, self.root, step, "stepdiff")
        steps = self.root / "steps"
        return self.stepdiff.step_diff(steps / previous, steps / step)


def previous_step(stepdiff, root, step, what):
    """The name of the step before ``step``, such as 03-consumer for 04-htmx."""
    steps = stepdiff.list_steps(root)
    if step not in steps or steps.index(step) == 0:
        raise AnnotateError(f"{what}: steps/{step} has no previous step")
    return steps[steps.index(step) - 1]


class AnnotateExtension(Extension):
    def __init__(self, root, **kwargs):
        self.root = root
        self.stepdiff = load_tool("stepdiff")
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # Before pymdownx.snippets (32) replaces the include line that names the file.
        changed = ChangedLinesPreprocessor(md, self.root, self.stepdiff)
        md.preprocessors.register(changed, "changed_lines", 33)
        # After pymdownx.snippets (32), which never sees the diff's lines, and
        # before the annotations (30) and pymdownx.superfences (25).
        stepdiff = StepDiffPreprocessor(md, self.root, self.stepdiff)
        md.preprocessors.register(stepdiff, "stepdiff", 31)
        # After pymdownx.snippets (32) has included the code, before
        # pymdownx.superfences (25) turns fences into highlighted HTML.
        md.preprocessors.register(AnnotatePreprocessor(md), "annotate_includes", 30)


# The opening tag of a highlighted code block, as pymdownx.highlight writes it.
CODE_BLOCK = re.compile(r'<div class="(?:language-[\w+#.-]+ )?highlight"')


def on_page_content(html, **kwargs):
    """Keep the code blocks out of the search index.

    The pages include whole files: indexed, they made the index that every page
    downloads 1.2 MB. The prose names what matters in the code (`group_send`), and
    that stays searchable.
    """
    return CODE_BLOCK.sub(lambda match: f"{match[0]} data-search-exclude", html)


# Only pages with a diagram load the diagram renderer (several hundred kilobytes).
MERMAID_LOADER = "javascripts/mermaid.js"


def on_post_page(output, page, config, **kwargs):
    """Add the diagram renderer to a page that has a diagram, and to no other."""
    if 'class="mermaid"' not in output:
        return output
    src = get_relative_url(MERMAID_LOADER, page.url)
    return output.replace("</body>", f'<script src="{src}"></script>\n</body>', 1)


def on_config(config, **kwargs):
    root = Path(config.config_file_path).parent
    config.markdown_extensions.append(AnnotateExtension(root))
    return config
