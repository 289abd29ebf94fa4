"""tools/helpers.py: what the tools and the noxfile share."""

import os
import sys
import urllib.request

import helpers
import pytest


@pytest.mark.parametrize("arg", ["2", "02", "02-two", "step02"])
def test_a_step_is_found_by_number_or_name(repo, arg):
    assert helpers.find_step(arg, repo) == "02-two"


def test_an_unknown_step_names_the_steps(repo):
    with pytest.raises(ValueError, match=r"No step '3'\. The steps are: 01-one, 02-two$"):
        helpers.find_step("3", repo)


def test_a_procfile_is_read_line_by_line(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        "# the stack\nweb: daphne -b 127.0.0.1 -p $PORT app:application\n\n"
        "redis: redis-server --port ${REDIS_PORT:-6379}\n"
    )
    assert helpers.procfile(procfile) == {
        "web": "daphne -b 127.0.0.1 -p $PORT app:application",
        "redis": "redis-server --port ${REDIS_PORT:-6379}",
    }


def test_a_server_is_served_once_it_listens_then_stopped():
    port = helpers.free_port()
    server = [sys.executable, "-m", "http.server", "-b", "127.0.0.1", str(port)]
    with helpers.serving(server, port) as process:
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).status == 200
    assert process.returncode is not None


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_server_that_never_listens_is_stopped_all_the_same(tmp_path):
    pid_file = tmp_path / "pid"
    silent = (
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    )
    port = helpers.free_port()
    never = pytest.raises(RuntimeError, match=f"did not listen on port {port} within 2 s")
    with never, helpers.serving([sys.executable, "-c", silent], port, timeout=2):
        pass
    assert gone(int(pid_file.read_text()))


def test_a_server_that_exits_says_so():
    port = helpers.free_port()
    exits = pytest.raises(RuntimeError, match="exited with 3 before listening")
    with exits, helpers.serving([sys.executable, "-c", "raise SystemExit(3)"], port):
        pass


def test_the_chosen_python_comes_first(monkeypatch):
    monkeypatch.setenv(helpers.CHOOSE_PYTHON, "3.14")
    monkeypatch.setenv("PATH", "")  # found nowhere: nox then says it is not found
    assert helpers.session_python() == ("3.14", None)


def test_else_the_python_running_nox(monkeypatch):
    monkeypatch.delenv(helpers.CHOOSE_PYTHON, raising=False)
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert helpers.session_python() == (running, sys.executable)


def test_a_python_the_workshop_does_not_support_is_refused(monkeypatch):
    monkeypatch.setenv(helpers.CHOOSE_PYTHON, "3.10")
    with pytest.raises(ValueError, match="BACKCHAT_PYTHON=3.10: the workshop runs on Python"):
        helpers.session_python()


def test_chromium_is_the_one_named_first(monkeypatch):
    monkeypatch.setenv("CHROMIUM", "/opt/chromium/chrome")
    assert helpers.chromium() == "/opt/chromium/chrome"
