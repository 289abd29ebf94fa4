import check
import fences

PAGE = """\
Text.

```python title="chat/models.py" annotate="12:1:SlugField 31:2"
--8<-- "steps/01-one/chat/models.py"
```

=== "Tab"

    ~~~~console
    $ ls
    ~~~
    ~~~~~
        ~~~~
    ~~~~

```diff stepdiff="02-two"
```
"""


def blocks(text):
    return list(fences.fences(text.splitlines()))


def test_blocks_their_options_and_bodies():
    first, second, third = blocks(PAGE)
    assert (first.start, first.end, first.lang) == (2, 4, "python")
    assert first.body == ['--8<-- "steps/01-one/chat/models.py"']
    assert first.notes == ["12:1:SlugField", "31:2"]
    assert first.option(fences.STEPDIFF) is None
    assert first.without(fences.ANNOTATE) == '```python title="chat/models.py"'
    # A shorter, a longer and a more indented fence are content, as superfences reads them.
    assert (second.indent, second.fence, second.lang) == ("    ", "~~~~", "console")
    assert second.body == ["    $ ls", "    ~~~", "    ~~~~~", "        ~~~~"]
    assert third.option(fences.STEPDIFF) == "02-two"
    assert third.without(fences.STEPDIFF) == "```diff"
    assert third.body == []


def test_a_closing_fence_at_another_indent_does_not_close():
    text = "```python\ncode\n    ```\nmore code\n```\nprose\n"
    [block] = blocks(text)
    assert block.body == ["code", "    ```", "more code"]


def test_a_line_indented_less_than_the_fence_abandons_it():
    # Inside a tab, an unindented line ends the tab: the fence was not one.
    text = "    ```python\n    code\nprose\n```text\nout\n```\n"
    [block] = blocks(text)
    assert (block.start, block.lang, block.body) == (3, "text", ["out"])


def test_a_fence_that_never_closes_runs_to_the_end():
    [block] = blocks("```python\na = 1\n")
    assert (block.end, block.body) == (2, ["a = 1"])


def test_notes_are_any_annotate_value_so_a_bad_one_fails_the_build_not_the_check():
    # The hook rejects "x:1" with an error; the check must count the block as annotated
    # too, instead of calling its file unexplained.
    [block] = blocks('```python annotate="x:1"\n--8<-- "steps/02-two/a.py"\n```\n')
    assert block.notes == ["x:1"]
    assert check.annotated_includes('```python annotate="x:1"\n--8<-- "steps/02-two/a.py"\n```\n')
    [block] = blocks('```python notannotate="1:1"\n```\n')
    assert block.notes == []


def test_the_check_sees_the_blocks_the_build_sees():
    # Before one parser, the check closed this block at the indented fence and took
    # the next lines for pasted code; the build reads them as the include's block.
    text = '```python annotate="1:1"\n--8<-- "steps/02-two/a.py"\n  ```\n```\n'
    assert check.annotated_includes(text) == {"steps/02-two/a.py"}
