"""The smallest worker of step 05's page, run by a real `manage.py runworker` on the
tests' own Redis, in a copy of step 05 (tools/tests/test_examples.py puts it there as
chat/minimal_worker.py, with settings whose ASGI application routes its channel)."""

import asyncio
import re

import pytest
from channels.layers import get_channel_layer
from django.db import connection

from .processes import django_env, manage

pytestmark = pytest.mark.django_db(transaction=True)


async def test_runworker_runs_the_job_and_replies_to_the_channel_that_asked(redis, tmp_path):
    env = django_env(redis, connection.settings_dict["NAME"],
                     DJANGO_SETTINGS_MODULE="tests.minimal_settings")  # fmt: skip
    worker = manage("dice", tmp_path, env, "runworker", "dice")
    try:
        worker.start()
        worker.wait_for_log("Reading jobs from")
        layer = get_channel_layer()
        reply_to = await layer.new_channel()
        await layer.send("dice", {"type": "dice.roll", "reply_to": reply_to})
        reply = await asyncio.wait_for(layer.receive(reply_to), timeout=30)
    finally:
        worker.stop()
    assert reply["type"] == "chat.reply"
    assert re.fullmatch(r"rolled [1-6]", reply["text"])
