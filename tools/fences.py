"""Fenced code blocks in the docs' Markdown, found as pymdownx.superfences finds them.

tools/check.py (is this block an include? does it carry notes?) and the docs build's
hook, docs/hooks/annotate.py (which adds the notes), must see the same blocks, so both
read them here. The rules are superfences', the extension that builds the site:

- a fence opens with three or more backticks or tildes, after any indentation,
  followed by the language and the options (``python title="x" annotate="3:1"``);
- it closes with the very same fence at the very same indentation, followed by
  nothing but spaces (a longer or more indented fence is content);
- a non-blank line indented less than the opening fence abandons it: the opening
  line was not a fence after all, and the lines that follow are read again.

A fence that never closes runs to the end of the text, as it does in the build.
"""

import re
from dataclasses import dataclass

OPENING = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w#.+-]*)(?P<rest>.*)$"
)
# The notes of an included block: annotate="LINE:MARKER[:TEXT] ..." (docs/hooks/annotate.py).
ANNOTATE = re.compile(r'(?<=[ \t])annotate="(?P<value>[^"]*)"')
# An empty block that the docs hook fills with a step's whole diff: stepdiff="04-htmx".
STEPDIFF = re.compile(r'(?<=[ \t])stepdiff="(?P<value>[^"]*)"')


@dataclass
class Fence:
    """One fenced block: ``lines[start]`` opens it, ``lines[end]`` closes it."""

    start: int  # index of the opening line
    end: int  # index of the closing line (len(lines) if it never closes)
    indent: str
    fence: str  # the backticks or tildes
    lang: str
    rest: str  # the options after the language, such as ` title="x" annotate="3:1"`
    body: list

    @property
    def opening(self):
        return f"{self.indent}{self.fence}{self.lang}{self.rest}".rstrip()

    @property
    def info(self):
        """Everything after the fence: the language and the options."""
        return f"{self.lang}{self.rest}".strip()

    def option(self, pattern):
        """The value of an option such as ANNOTATE or STEPDIFF, or None without it."""
        match = pattern.search(" " + self.rest)
        return match["value"] if match else None

    def without(self, pattern):
        """The opening line with that option taken out (for the build, which does not know it)."""
        rest = pattern.sub("", " " + self.rest)[1:]
        return f"{self.indent}{self.fence}{self.lang}{rest}".rstrip(" \t")

    @property
    def notes(self):
        """The items of annotate="...": ["12:1:SlugField", "31:2"]."""
        return (self.option(ANNOTATE) or "").split()


def closing_index(lines, start, indent, fence):
    """The index of the line that closes the fence, len(lines) if none, None if abandoned."""
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        if not line.startswith(indent):
            return None  # indented less than the fence: not a fence
        if re.fullmatch(rf"{re.escape(fence)}[ \t]*", line[len(indent) :]):
            return index
    return len(lines)


def fences(lines):
    """Yield every top-level fenced block of a page's lines, in order."""
    index = 0
    while index < len(lines):
        opening = OPENING.match(lines[index])
        end = opening and closing_index(lines, index, opening["indent"], opening["fence"])
        if end is None:
            index += 1
            continue
        yield Fence(
            start=index,
            end=end,
            indent=opening["indent"],
            fence=opening["fence"],
            lang=opening["lang"],
            rest=opening["rest"],
            body=lines[index + 1 : end],
        )
        index = end + 1
