"""--profile DIR: sample the processes that hold the websockets with py-spy while a round
runs, keep the raw stacks (speedscope opens them), and print where the time went.
"""

import subprocess
import sys
from collections import Counter
from pathlib import Path

# What a delivery costs, by the function whose frames are on the stack. A sample counts
# once in every line whose function it is inside, so the lines may overlap.
PLACES = [
    ("close_old_connections", "Channels closing stale database connections, in a thread"),
    ("Layer.receive", "reading events from the channel layer"),  # any layer's receive()
    ("group_send", "group_send"),
    ("AsyncWebsocketConsumer.send", "sending frames: the consumer's send, through the server"),
    ("save_message", "saving and rendering messages"),
    ("allow_frame", "counting frames for the rate limit"),
]


def start(server, pids, rate, seconds, directory):
    """Start one py-spy per process of the `server` for a round at `rate`; nothing without
    a directory."""
    if directory is None:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    spies = []
    for pid in pids:
        path = directory / f"{server}-{pid}-{rate:g}-per-s.txt"
        command = ["py-spy", "record", "--pid", str(pid), "--duration", str(round(seconds))]
        command += ["--rate", "100", "--nonblocking", "--format", "raw", "--output", str(path)]
        spies.append((subprocess.Popen(command, stdout=subprocess.DEVNULL), path))
    return spies


def report(spies):
    for spy, path in spies:
        if spy.wait(timeout=60):
            sys.exit(f"py-spy failed ({spy.args}); as a normal user it needs ptrace rights")
        print(breakdown(path), file=sys.stderr)


def breakdown(path):
    """The share of a process's busy samples spent in each of PLACES."""
    inside, total = Counter(), 0
    for line in Path(path).read_text().splitlines():
        stack, count = line.rsplit(" ", 1)
        functions = {frame.split(" (")[0] for frame in stack.split(";")}
        total += int(count)
        for key, _label in PLACES:
            if any(key in function for function in functions):
                inside[key] += int(count)
    lines = [f"{path.name}: {total} busy samples (raw stacks: {path})"]
    for key, label in PLACES:
        lines.append(f"  {100 * inside[key] / max(1, total):5.1f}%  {label}")
    return "\n".join(lines)
