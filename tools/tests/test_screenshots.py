import check
import screenshots


def take(repo, write, step):
    """What `nox -s screenshots` leaves behind: the picture and the hash it was taken of."""
    write(f"docs/assets/screenshots/{step}.png", "png")
    screenshots.record_hash(repo, step, screenshots.step_hash(repo / "steps" / step, step))


def test_missing_screenshots_are_reported(repo):
    assert check.check_screenshots_current(repo) == [
        "docs/assets/screenshots/01-one.png is missing: run `nox -s screenshots -- 01`",
        "docs/assets/screenshots/02-two.png is missing: run `nox -s screenshots -- 02`",
    ]


def test_fresh_screenshots_pass(repo, write):
    take(repo, write, "01-one")
    take(repo, write, "02-two")
    assert check.check_screenshots_current(repo) == []


def test_a_changed_step_makes_its_screenshot_stale(repo, write):
    take(repo, write, "01-one")
    take(repo, write, "02-two")
    write("steps/02-two/static/css/backchat.css", "body { color: red; }\n")
    [problem] = check.check_screenshots_current(repo)
    assert problem.startswith("docs/assets/screenshots/02-two.png is stale: steps/02-two")
    assert problem.endswith("run `nox -s screenshots -- 02`")


def test_only_templates_static_files_and_the_scene_count(repo, write):
    write("steps/02-two/static/css/backchat.css", "body {}\n")
    before = screenshots.step_hash(repo / "steps/02-two", "02-two")
    write("steps/02-two/tests/test_views.py", "def test_more(): pass\n")
    write("steps/02-two/chat/models.py", "a = 2\n")  # Python draws no pixel
    write("steps/02-two/db.sqlite3", "another database")
    (repo / "steps/02-two/static/css/backchat.css").write_bytes(b"body {}\r\n")  # Windows
    assert screenshots.step_hash(repo / "steps/02-two", "02-two") == before


def test_a_changed_scene_makes_the_screenshot_stale(repo, write, monkeypatch):
    take(repo, write, "01-one")
    take(repo, write, "02-two")
    monkeypatch.setitem(screenshots.SCENES, "01", {"conversation": [], "draft": "new"})
    [problem] = check.check_screenshots_current(repo)
    assert problem.startswith("docs/assets/screenshots/01-one.png is stale")


def test_screenshots_of_removed_steps_are_left_over(repo, write):
    take(repo, write, "01-one")
    take(repo, write, "02-two")
    write("docs/assets/screenshots/03-three.png", "png")
    screenshots.record_hash(repo, "04-four", "0" * 64)
    assert [p.split(" is ")[0] for p in check.check_screenshots_current(repo)] == [
        "docs/assets/screenshots/03-three.png",
        "docs/assets/screenshots/04-four.png",
    ]


def test_demo_password_is_read_without_django(tmp_path, write):
    seed = "chat/management/commands/seed_demo.py"
    write(f"two/{seed}", 'from x import y\n\nDEMO_PASSWORD = "talk"\n')
    write(f"one/{seed}", "class Command:\n    pass\n")
    assert screenshots.demo_password(tmp_path / "two") == "talk"
    assert screenshots.demo_password(tmp_path / "one") is None


def test_steps_are_found_by_number_or_name(repo):
    assert screenshots.find_steps(["2", "01-one"], repo) == ["02-two", "01-one"]
