"""docs/hooks/figures.py: the figures on the pages come from the files."""

import importlib.util

import pytest
import stepdiff

spec = importlib.util.spec_from_file_location("figures", stepdiff.ROOT / "docs/hooks/figures.py")
figures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(figures)


def test_lines_and_changes_are_counted_from_the_files(repo):
    page = "It has {{ lines steps/02-two/chat/models.py }} lines.\n\n{{ changes 02-two }}\n"
    assert figures.fill(page, repo, "page.md") == (
        "It has 2 lines.\n\n"
        "- **New files** (3): `chat/__init__.py`, `chat/new.py`, "
        "`static/vendor/htmx-2.0.4.min.js`\n"
        "- **Changed files** (1): `chat/models.py`\n"
        "- **Removed files** (1): `chat/old.py`\n"
    )


def test_a_placeholder_that_names_nothing_stops_the_build(repo):
    with pytest.raises(figures.FiguresError, match="names no file"):
        figures.fill("{{ lines steps/02-two/nope.py }}", repo, "page.md")
    with pytest.raises(figures.FiguresError, match="needs a step after the first"):
        figures.fill("{{ changes 01-one }}", repo, "page.md")


def test_the_typealong_budget_grows_with_the_lines_typed(repo, write, monkeypatch):
    monkeypatch.setattr(
        figures, "TYPED", {"01-one": [("chat/models.py", "")], "02-two": [("chat/new.py", "")]}
    )
    before = figures.step_plan(repo, stepdiff, "01-one", "02-two")
    write("steps/02-two/chat/new.py", "new = True\n" + "x = 1\n" * 40)
    after = figures.step_plan(repo, stepdiff, "01-one", "02-two")
    assert (before[1], after[1]) == (1, 41)  # lines typed
    assert after[4] - before[4] == 10  # 40 more lines at 4 a minute
    monkeypatch.setitem(figures.TYPED, "02-two", [("chat/gone.py", "")])
    with pytest.raises(figures.FiguresError, match="has no chat/gone.py to type"):
        figures.step_plan(repo, stepdiff, "01-one", "02-two")


def test_the_guides_plan_is_built_from_the_steps():
    table = figures.typealong_table(stepdiff.ROOT)
    assert table.count("| [0") == len(stepdiff.list_steps())
    assert "**Total, without breaks**" in table


def test_a_steps_time_comes_from_both_plans(repo, write, monkeypatch):
    monkeypatch.setattr(
        figures, "TYPED", {"01-one": [("chat/models.py", "")], "02-two": [("chat/new.py", "")]}
    )
    write("docs/instructor.md", "| 0:10 | 25' | [Step 02](steps/02-two.md) | Models |\n")
    assert figures.fill("{{ time 02-two }}", repo, "page.md") == (
        "about 25 minutes in the 3½-hour review; about 20 minutes typing along, on the full day"
    )
    with pytest.raises(figures.FiguresError, match="no such step in both plans"):
        figures.fill("{{ time 01-one }}", repo, "page.md")


def test_a_steps_typed_files_are_listed_with_their_lines(repo, write, monkeypatch):
    typed = {
        "01-one": [("chat/models.py", "")],
        "02-two": [("chat/models.py", "the new field."), ("chat/new.py", "then\n\nmigrate.")],
    }
    monkeypatch.setattr(figures, "TYPED", typed)
    write("steps/02-two/chat/new.py", "new = True\n\n" + "x = 1\n" * 3)
    listed = figures.fill("{{ typealong 02 }}", repo, "page.md")
    assert figures.step_plan(repo, stepdiff, "01-one", "02-two")[1] == 5  # the table's count
    assert listed.splitlines() == [
        "**Attendees type** 2 files, 5 lines new or changed since step 01 (blank lines aside), "
        "in the order of the walkthrough:",
        "",
        "1. `chat/models.py` (1 line): the new field.",
        "2. `chat/new.py` (4 lines): then",
        "    ",
        "    migrate.",
    ]
    with pytest.raises(figures.FiguresError, match="no such step to type"):
        figures.fill("{{ typealong 07 }}", repo, "page.md")
