"""The code examples in docs/examples/ work: each runs, with its tests, inside a copy of
the step whose page includes it."""

import shutil
import subprocess

import stepdiff

EXAMPLES = stepdiff.ROOT / "docs/examples"


def test_the_smallest_consumer_of_step_03_works(step_python, tmp_path):
    project = tmp_path / "backchat"
    shutil.copytree(stepdiff.ROOT / "steps/03-consumer", project,
                    ignore=shutil.ignore_patterns(*stepdiff.IGNORED))  # fmt: skip
    shutil.copy(EXAMPLES / "minimal_consumer.py", project / "chat/minimal_consumer.py")
    shutil.copy(EXAMPLES / "test_minimal_consumer.py", project / "tests")
    done = subprocess.run(
        [str(step_python), "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "tests/test_minimal_consumer.py"],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


# The worker's own ASGI application: only its channel, as backchat/asgi.py would route it.
MINIMAL_SETTINGS = """from .settings import *  # noqa: F403

ASGI_APPLICATION = "tests.minimal_asgi.application"
"""
MINIMAL_ASGI = """import django
from channels.routing import ChannelNameRouter, ProtocolTypeRouter

django.setup()

from chat.minimal_worker import worker_channels  # noqa: E402

application = ProtocolTypeRouter({"channel": ChannelNameRouter(worker_channels)})
"""


def test_the_smallest_worker_of_step_05_works(step_python, tmp_path):
    project = tmp_path / "backchat"
    shutil.copytree(stepdiff.ROOT / "steps/05-workers", project,
                    ignore=shutil.ignore_patterns(*stepdiff.IGNORED))  # fmt: skip
    shutil.copy(EXAMPLES / "minimal_worker.py", project / "chat/minimal_worker.py")
    shutil.copy(EXAMPLES / "test_minimal_worker.py", project / "tests")
    (project / "tests/minimal_settings.py").write_text(MINIMAL_SETTINGS, encoding="utf-8")
    (project / "tests/minimal_asgi.py").write_text(MINIMAL_ASGI, encoding="utf-8")
    done = subprocess.run(
        [str(step_python), "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "tests/test_minimal_worker.py"],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
