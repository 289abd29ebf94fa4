import check

PLAN = """\
# Guide

| Start | Length | Part | What happens |
| ----: | -----: | ---- | ------------ |
| 0:00 | 10' | Intro | Hello |
| 0:10 | 50' | Step 01 | Models |
| 1:00 | 5' | Wrap-up | Bye |

Total: 65 minutes.
"""


def test_a_plan_that_adds_up_passes(tmp_path, write):
    write("docs/guide.md", PLAN)
    assert check.check_timing_plans(tmp_path) == []


def test_a_slot_that_grew_is_reported_with_the_total(tmp_path, write):
    write("docs/guide.md", PLAN.replace("| 50' |", "| 55' |"))
    assert check.check_timing_plans(tmp_path) == [
        "docs/guide.md:7: this slot starts at 1:00, but the one before ends at 1:05",
        "docs/guide.md:3: the plan says 'Total: 65 minutes', but its slots add up to 70 minutes",
    ]


def test_a_plan_without_its_total_or_with_a_bad_slot_is_reported(tmp_path, write):
    write("docs/guide.md", PLAN.replace("Total: 65 minutes.", "That is all."))
    [problem] = check.check_timing_plans(tmp_path)
    assert problem.endswith("needs its claim right after the table: 'Total: 65 minutes.'")
    write("docs/guide.md", PLAN.replace("| 10' |", "| ten |"))
    assert check.check_timing_plans(tmp_path)[0].startswith("docs/guide.md:5: a slot needs")


def test_the_guides_plans_add_up():
    assert check.check_timing_plans() == []
