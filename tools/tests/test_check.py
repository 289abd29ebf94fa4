import check
import pytest

PAGE = """\
# Step two

We change a line of `chat/models.py`, remove chat/old.py and pin `requirements.txt`.

```python title="chat/models.py" linenums="2" annotate="1:1:b"
--8<-- "steps/02-two/chat/models.py:2:2"
```

1.  The new value.

=== "New"

    ```python title="chat/new.py" hl_lines="1" annotate="1:1"
    --8<-- "steps/02-two/chat/new.py"
    ```

    1.  New.

~~~console
$ python manage.py migrate
~~~

```
--8<--
steps/02-two/chat/__init__.py
steps/02-two/static/vendor/htmx-2.0.4.min.js
--8<--
```

The tests (`tests/test_new.py`) and the migration (`chat/migrations/0002_new.py`).
"""


@pytest.fixture
def step_two(repo, write):
    """Step two also changes its requirements, adds a test and a migration."""
    write("steps/02-two/requirements.txt", "Django\n")
    write("steps/02-two/tests/test_new.py", "def test_new(): pass\n")
    write("steps/02-two/chat/migrations/0002_new.py", "operations = []\n")
    return repo


def test_a_page_walks_through_code_and_names_the_rest(step_two, write):
    write("docs/steps/02-two.md", PAGE)
    assert check.check_docs_cover_changes(step_two) == []


def test_code_that_is_only_named_or_included_without_notes_is_reported(step_two, write):
    page = PAGE.replace(' annotate="1:1:b"', "").replace('--8<-- "steps/02-two/chat/new.py"', "")
    write("docs/steps/02-two.md", page + "\nAnd `chat/new.py`.\n")
    problems = check.check_docs_cover_changes(step_two)
    assert [p.split(":")[0] for p in problems] == [
        "docs/steps/02-two.md does not walk through chat/models.py (changed since 01-one)",
        "docs/steps/02-two.md does not walk through chat/new.py (added since 01-one)",
    ]


def test_an_uncovered_change_is_reported(step_two, write):
    write("docs/steps/02-two.md", PAGE.replace("chat/old.py", "the old module"))
    [problem] = check.check_docs_cover_changes(step_two)
    assert problem.startswith("docs/steps/02-two.md does not cover chat/old.py (removed")


def test_which_files_need_notes(step_two):
    step = step_two / "steps/02-two"
    assert check.needs_notes(step, "M", "chat/models.py")
    assert check.needs_notes(step, "A", "chat/new.py")
    assert not check.needs_notes(step, "D", "chat/old.py")
    assert not check.needs_notes(step, "A", "chat/__init__.py")  # empty
    assert not check.needs_notes(step, "A", "static/vendor/htmx-2.0.4.min.js")
    assert not check.needs_notes(step, "A", "tests/test_new.py")
    assert not check.needs_notes(step, "A", "chat/migrations/0002_new.py")
    assert not check.needs_notes(step, "M", "requirements.txt")


def test_snippet_paths_drop_sections_and_line_ranges():
    body = ['--8<-- "steps/02-two/a.py:section"', "--8<--", "steps/02-two/b.py:1:3", "--8<--"]
    assert check.snippet_paths(body) == {"steps/02-two/a.py", "steps/02-two/b.py"}


def test_a_step_without_a_page_fails(repo):
    [problem] = check.check_docs_cover_changes(repo)
    assert problem.startswith("docs/steps/02-two.md is missing")


def test_mentions_needs_the_whole_path():
    assert check.mentions("see `chat/models.py`.", "chat/models.py")
    assert check.mentions('--8<-- "steps/02-two/chat/models.py:section"', "chat/models.py")
    assert not check.mentions("see `models.py`", "chat/models.py")
    assert not check.mentions("see `templates/chat/models.py`", "chat/models.py")


def test_pasted_code_blocks_are_reported_with_their_line(repo, write):
    write("docs/steps/02-two.md", PAGE)
    write(
        "docs/reference.md",
        "Text\n\n    ```{ .python }\n    x = 1\n    ```\n\n````md\n```\n````\n\n```sh\nls\n```\n",
    )
    problems = check.check_docs_code_blocks(repo)
    assert len(problems) == 2
    assert problems[0].startswith("docs/reference.md:3: a ```python block pastes code")
    assert problems[1].startswith("docs/reference.md:7: a ```md block pastes code")


def test_an_empty_stepdiff_fence_is_generated_not_pasted(repo, write):
    write(
        "docs/steps/02-two.md",
        '??? abstract "The whole diff"\n\n    ```diff stepdiff="02-two"\n    ```\n\n'
        '```diff stepdiff="02-two"\n-pasted\n```\n',
    )
    [problem] = check.check_docs_code_blocks(repo)
    assert problem.startswith("docs/steps/02-two.md:6: a ```diff block pastes code")


def test_an_escaped_snippet_is_not_an_include():
    assert check.is_include(['--8<-- "steps/02-two/chat/new.py"', ""])
    assert not check.is_include([';--8<-- "steps/02-two/chat/new.py"'])
    assert not check.is_include([])


def test_cross_step_imports_are_reported(repo, write):
    write("steps/02-two/chat/new.py", "import sys\nsys.path.insert(0, '..')\n")
    write("steps/02-two/chat/views.py", "from steps.one import x\n")
    problems = check.check_no_cross_step_imports(repo)
    assert [p.split(":")[:2] for p in problems] == [
        ["steps/02-two/chat/new.py", "2"],
        ["steps/02-two/chat/views.py", "1"],
    ]


def test_constraints_must_pin_every_requirement(repo, write):
    write("steps/02-two/requirements.txt", "Django>=5.2  # web\nchannels_redis\n-c x.txt\n")
    write("constraints.txt", "django==5.2.1\n    # via x\n")
    assert check.check_constraints_cover_requirements(repo) == [
        "steps/02-two/requirements.txt needs channels-redis, which constraints.txt does not pin: "
        "run `nox -s lock`"
    ]


WORKSHOP_LOCK = """\
channels==4.3.2
    # via
    #   -r steps/02-two/requirements.txt
    #   channels-redis
django==5.2.1
    # via
    #   -r steps/01-one/requirements.txt
    #   channels
mkdocs==1.6.1
    # via -r tools/requirements.in
"""


def test_a_step_lock_pins_what_constraints_pin_for_the_step(repo, write):
    write("constraints.txt", WORKSHOP_LOCK)
    write("steps/02-two/requirements.lock", "# uv\nchannels==4.3.2\ndjango==5.2.1 ; x\n")
    assert check.check_step_locks_current(repo) == []


@pytest.mark.parametrize(
    "lock",
    [
        "channels==4.3.2\n",  # django, which channels needs, is missing
        "channels==4.3.2\ndjango==5.2.0\n",  # another version
        "channels==4.3.2\ndjango==5.2.1\nmkdocs==1.6.1\n",  # a package the step does not need
    ],
)
def test_a_stale_step_lock_is_reported(repo, write, lock):
    write("constraints.txt", WORKSHOP_LOCK)
    write("steps/02-two/requirements.lock", lock)
    assert check.check_step_locks_current(repo) == [
        "steps/02-two/requirements.lock differs from constraints.txt: run `nox -s lock`"
    ]


def test_main_reports_every_check(repo, capsys):
    assert check.main(repo) == 1
    out = capsys.readouterr().out
    assert "FAIL  Every step is a standalone project" in out
    assert "ok    Nothing under a step imports from another step" in out
