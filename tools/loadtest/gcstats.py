"""--gc-stats: how much time each served process spends in Python's cyclic garbage
collector, by generation. settings.py starts it in every process when LOADTEST_GC_STATS
names a directory; each process writes its totals there, as JSON, every EVERY seconds.

--gc-freeze also moves every object alive a few seconds after start-up (the code, Django,
the settings) into the permanent generation, which no collection scans again.
"""

import gc
import json
import os
import threading
import time
from pathlib import Path

FREEZE_AFTER = 5  # seconds: the server has loaded the application by then
EVERY = 0.5  # seconds between two writes of a process's totals


def start(directory, freeze):
    totals = {"collections": [0, 0, 0], "seconds": [0.0, 0.0, 0.0], "collected": 0}
    started = {}

    # CPU time of the collecting thread, not the wall clock: on a busy machine a collection
    # may wait for a core, and that wait is not the collector's cost.
    def timed(phase, info):
        if phase == "start":
            started["at"] = time.thread_time()
        elif "at" in started:
            generation = info["generation"]
            totals["collections"][generation] += 1
            totals["seconds"][generation] += time.thread_time() - started.pop("at")
            totals["collected"] += info["collected"]

    gc.callbacks.append(timed)
    path = Path(directory) / f"{os.getpid()}.json"

    def write():
        if freeze:
            time.sleep(FREEZE_AFTER)
            gc.collect()
            gc.freeze()
            totals["frozen"] = gc.get_freeze_count()
        while True:
            # Not gc.get_objects(): from another thread it can catch a tuple half-built.
            totals["stats"] = gc.get_stats()
            path.with_suffix(".tmp").write_text(json.dumps(totals))
            path.with_suffix(".tmp").replace(path)  # at once: a reader never sees half a file
            time.sleep(EVERY)

    threading.Thread(target=write, daemon=True).start()


def read(directory):
    """{pid: totals} of the processes that wrote to `directory`."""
    return {int(p.stem): json.loads(p.read_text()) for p in Path(directory).glob("*.json")}
