"""The test counts on the pages are the counts of the tests as they are."""

import counts
import pytest
import stepdiff

PAGE = """\
# Step two

`nox -s step02` (3 tests, then 1 in Chromium) and more.

```console
$ nox -s step02
...
============================== 3 passed in 0.1s ==============================
nox > pytest tests/browser
1 passed in 2.00s
```

```console
$ python -m pytest -k one
1 passed in 0.1s
```
"""

TESTS = (
    "def test_one():\n    pass\n\n\ndef test_two():\n    pass\n\n\ndef test_three():\n    pass\n"
)


@pytest.fixture
def step_two(repo, write):
    write("steps/02-two/pytest.ini", "[pytest]\ntestpaths = tests\n")
    write("steps/02-two/tests/test_chat.py", TESTS)
    write("steps/02-two/tests/browser/test_page.py", "def test_page():\n    pass\n")
    return repo


def test_counts_in_text_and_transcripts_are_found(step_two, write):
    write("docs/steps/02-two.md", PAGE)
    found = {(c.line, c.args, c.number) for c in counts.claims(step_two)}
    main, browser = tuple(counts.MAIN_RUN), tuple(counts.BROWSER_RUN)
    # The run filtered with -k is an example, not a count of the suite.
    assert found == {(3, main, 3), (3, browser, 1), (8, main, 3), (10, browser, 1)}


def test_right_counts_pass(step_two, write, step_python):
    write("docs/steps/02-two.md", PAGE)
    assert counts.problems(step_two, step_python) == []


def test_a_count_that_drifted_is_reported(step_two, write, step_python):
    write("steps/02-two/tests/test_more.py", "def test_four():\n    pass\n")
    write("docs/steps/02-two.md", PAGE)
    problems = counts.problems(step_two, step_python)
    assert [p.split(", but")[0] for p in problems] == [
        "docs/steps/02-two.md:8: says '3 passed in 0.1s'",
        "docs/steps/02-two.md:3: says '`nox -s step02` (3 tests, then 1 in Chromium'",
    ]
    assert "steps/02-two has 4 tests" in problems[0]


def test_the_pages_counts_are_current(step_python):
    assert counts.problems(stepdiff.ROOT, step_python) == []
