"""`nox -s verify`: the step's own copy passes, a copy with one line broken fails and says
where. The runs use a real environment with the steps' pinned requirements (built once,
with uv when it is installed) and run the steps' real tests.

Steps 01 and 03 run whole; the others run a fast part (-k) without their browser tests.
VERIFY_FULL=1 runs every step whole, browser tests included (about 5 minutes on 2 cores):

    VERIFY_FULL=1 .nox/check/bin/pytest tools/tests/test_verify.py
"""

import os
import re
import shutil
import signal
import subprocess

import pytest
import stepdiff
import verify

FULL = os.environ.get("VERIFY_FULL") == "1"
WHOLE = {"01", "03"}  # cheap enough to run whole every time
FAST_PART = ["--no-browser", "-k", "views or models"]
# Generous: step 06 whole takes 3 to 4 minutes on a quiet 2-core laptop, far more on a busy one.
TIMEOUT = 3600 if FULL else 900


def test_test_names_read_as_sentences():
    assert verify.sentence("test_a_non_member_gets_404") == "A non member gets 404"
    assert (
        verify.sentence("test_wrong_method_is_405[get-/new/]") == "Wrong method is 405 (get-/new/)"
    )
    long = verify.sentence(f"test_too_long[{'x' * 100}]")
    assert long == f"Too long ({'x' * 37}...)"


def test_steps_are_found_by_number_or_name():
    assert verify.find_step("3") == verify.find_step("step03") == "03-consumer"
    assert verify.find_step("03-consumer") == "03-consumer"
    assert verify.find_step("9") is None


def test_a_copy_leaves_out_environments_caches_and_databases(tmp_path):
    project = tmp_path / "backchat"
    for rel in ["manage.py", "chat/views.py", "db.sqlite3", "chat/__pycache__/x.pyc",
                ".git/HEAD", "venv/pyvenv.cfg", "venv/lib/site.py"]:  # fmt: skip
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text("x = 1\n")
    assert verify.project_files(project) == {"manage.py", "chat/views.py"}


def test_differences_ignore_line_endings_and_name_what_is_missing(tmp_path):
    step, project = tmp_path / "step", tmp_path / "project"
    for root, views in [(step, "a = 1\nb = 2\n"), (project, "a = 1  \r\nb = 2\r\n")]:
        (root / "chat").mkdir(parents=True)
        (root / "chat/views.py").write_text(views)
        (root / "tests").mkdir()
        (root / "tests/test_mine.py").write_text(str(root))  # tests are replaced: not compared
    (step / "chat/urls.py").write_text("urls = []\n")
    (project / "notes.txt").write_text("mine\n")
    assert verify.differences(project, step) == [("D", "chat/urls.py"), ("A", "notes.txt")]


def test_wrong_arguments_say_what_is_expected(tmp_path, capsys):
    assert verify.main([]) == 2
    assert "Which step?" in capsys.readouterr().out
    assert verify.main(["03", str(tmp_path)]) == 2
    assert "give the folder that holds your manage.py" in capsys.readouterr().out


def run_verify(python, step, project, *args):
    """Run tools/verify.py as the nox session does; return (exit status, output).

    It runs in a session of its own: past the deadline, the whole group goes (pytest
    and the servers it started), not only verify.py.
    """
    script = stepdiff.ROOT / "tools/verify.py"
    run = subprocess.Popen(
        [str(python), str(script), step, str(project), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = run.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        output, _ = run.communicate()
        pytest.fail(f"verify {step} did not finish within {TIMEOUT} s:\n{output}")
    return run.returncode, output


def copy_step(step, tmp_path):
    project = tmp_path / "backchat"
    shutil.copytree(stepdiff.ROOT / "steps" / step, project,
                    ignore=shutil.ignore_patterns(*stepdiff.IGNORED))  # fmt: skip
    return project


@pytest.mark.parametrize("step", stepdiff.list_steps())
def test_the_steps_own_copy_passes(step, step_python, tmp_path):
    project = copy_step(step, tmp_path)
    args = [] if FULL or step[:2] in WHOLE else FAST_PART
    status, output = run_verify(step_python, step, project, *args)
    assert status == 0, output
    assert f"behaviours of steps/{step} pass" in output
    assert " FAIL " not in output


# One line broken in each, as a typist might: a message no longer saved, a close code
# mistyped.
BROKEN = [
    ("01-django", "chat/views.py", "            form.save()\n", "            form.full_clean()\n",
     "tests/test_views.py", "Posting saves and redirects"),
    ("03-consumer", "chat/consumers.py", "NOT_LOGGED_IN = 4401  # also after",
     "NOT_LOGGED_IN = 4410  # also after", "tests/test_consumers.py", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("step", "path", "line", "broken", "test_file", "behaviour"), BROKEN, ids=["01", "03"]
)
def test_a_copy_with_one_line_broken_fails_and_names_the_test_and_the_file(
    step, path, line, broken, test_file, behaviour, step_python, tmp_path
):
    project = copy_step(step, tmp_path)
    code = (project / path).read_text(encoding="utf-8")
    assert code.count(line) == 1, f"{path} no longer has one {line!r}: choose another line"
    (project / path).write_text(code.replace(line, broken), encoding="utf-8")
    status, output = run_verify(step_python, step, project)
    assert status == 1, output
    summary = output.split("=== What works in")[1]
    tests, differs = summary.split(f"What differs from steps/{step} (1 file;")
    # The failing behaviours are named under their test file...
    failing = tests.split(f"\n{test_file}: ")[1].split("\n\n")[0]
    assert "  FAIL  " in failing
    if behaviour:
        assert f"  FAIL  {behaviour}\n" in failing
    # ... and the broken file with the line as the step has it and as it is now.
    assert f"  {path}: differs" in differs
    assert re.search(r"^ +-\s*" + re.escape(line.strip()), differs, re.M), differs
    assert re.search(r"^ +\+\s*" + re.escape(broken.strip()), differs, re.M), differs
