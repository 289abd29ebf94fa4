import stepdiff


def test_changed_files_ignores_generated_files(repo):
    changes = stepdiff.changed_files(repo / "steps/01-one", repo / "steps/02-two")
    assert changes == [
        ("A", "chat/__init__.py"),
        ("M", "chat/models.py"),
        ("A", "chat/new.py"),
        ("D", "chat/old.py"),
        ("A", "static/vendor/htmx-2.0.4.min.js"),
    ]


def test_step_diff_is_a_stable_unified_diff(repo):
    diff = stepdiff.step_diff(repo / "steps/01-one", repo / "steps/02-two")
    assert diff == (
        "Empty file added: chat/__init__.py\n"
        "--- a/chat/models.py\n+++ b/chat/models.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n"
        "--- /dev/null\n+++ b/chat/new.py\n@@ -0,0 +1 @@\n+new = True\n"
        "--- a/chat/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone = True\n"
        "Binary/vendored file added: static/vendor/htmx-2.0.4.min.js\n"
    )


def test_missing_newline_at_end_of_file_is_shown(repo, write):
    write("steps/02-two/chat/models.py", "a = 1\nb = 2")
    diff = stepdiff.step_diff(repo / "steps/01-one", repo / "steps/02-two")
    assert "+b = 2\n\\ No newline at end of file\n" in diff
