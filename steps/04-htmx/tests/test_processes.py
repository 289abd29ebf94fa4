"""The processes the tests start are stopped again, even when they fail to start."""

import sys

import pytest

from . import processes
from .processes import Process, free_port


def test_a_process_that_exits_at_once_fails_the_start_with_its_log(tmp_path):
    crash = Process("crash", [sys.executable, "-c", "raise SystemExit('no such app')"], tmp_path)
    crash.start()
    with pytest.raises(pytest.fail.Exception, match="(?s)exit code 1.*no such app"):
        crash.wait_for_port(free_port())


def test_a_process_that_never_gets_ready_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(processes, "STARTUP", 1)
    sleeper = Process("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path)
    sleeper.start()
    with pytest.raises(pytest.fail.Exception, match="did not listen on port .* within 1 s"):
        sleeper.wait_for_port(free_port())
    assert sleeper.process.poll() is not None  # stopped, not left running
