"""Run the lines of a step's Procfile; start again any process that exits.

    python tools/serve.py Procfile [NAME ...]

`nox -s serve -- 05` and `-- 06` run it. `honcho start` stops every process as soon as
one exits: in class, a crashed worker (or a Daphne killed on purpose, to show the pages
reconnect) would end the demo. Here the others keep running and the one that exited
starts again after a second, which is also what the step's own deployments do
(`restart:` in compose.yaml, `Restart=` in systemd). A process that keeps exiting
(a port in use, a typo) is left stopped after a few tries, with a message that names it.
Ctrl-C (or SIGTERM) stops them all.

Each line of output starts with the time and the name of the process that wrote it, as
with honcho. Every process is announced with its pid, so that it can be killed by hand.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime

import helpers

TRIES = 3  # exits within TRIES_WINDOW seconds before a process is left stopped
TRIES_WINDOW = 60
RESTART_DELAY = 1  # seconds, doubled after each exit within the window
STOP_TIMEOUT = 10  # seconds between SIGTERM and SIGKILL

print_lock = threading.Lock()


def say(name, text, width):
    with print_lock:
        print(f"{datetime.now():%H:%M:%S} {name:<{width}} | {text}", flush=True)


class Process:
    def __init__(self, name, command, width):
        self.name, self.command, self.width = name, command.strip(), width
        self.popen = None
        self.exits = []  # when it exited lately
        self.restart_at = None  # when to start it again, if it is to be

    def start(self):
        # A session of its own: Ctrl-C in the terminal reaches this supervisor only, which
        # then stops each process with everything it started (nginx's and uWSGI's workers).
        self.popen = subprocess.Popen(
            ["/bin/sh", "-c", self.command],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.restart_at = None
        say(self.name, f"started (pid {self.popen.pid})", self.width)
        threading.Thread(target=self.relay, args=(self.popen,), daemon=True).start()

    def relay(self, popen):
        for line in popen.stdout:
            say(self.name, line.decode(errors="replace").rstrip(), self.width)

    def exited(self, now):
        """It has just exited: schedule its restart, or give up on it."""
        code = self.popen.returncode
        # What it started may live on (a shell's child, a master's workers), holding its
        # port: end them too, so that the next start finds the port free.
        self.signal(signal.SIGKILL)
        self.popen = None
        self.exits = [t for t in self.exits if now - t < TRIES_WINDOW] + [now]
        if len(self.exits) >= TRIES:
            say(self.name, f"exited with code {code}, {TRIES} times within {TRIES_WINDOW} s: "
                "left stopped. Its output above says why; the other processes keep "
                "running. Fix the cause, then stop with Ctrl-C and serve again.",
                self.width)  # fmt: skip
            return
        delay = RESTART_DELAY * 2 ** (len(self.exits) - 1)
        say(self.name, f"exited with code {code}; starting it again in {delay} s", self.width)
        self.restart_at = now + delay

    def signal(self, number):
        """Signal the process and everything it started (its process group)."""
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):  # all of them are gone
                os.killpg(self.popen.pid, number)

    def running(self):
        """Is anything of it left? The shell that ran the line, or anything it started."""
        if self.popen is None:
            return False
        self.popen.poll()  # reap the shell once it has exited
        try:
            os.killpg(self.popen.pid, 0)
        except ProcessLookupError:
            return False
        return True


def stop_all(processes):
    for process in processes:
        process.restart_at = None
        process.signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes:
        while process.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        if process.running():
            say(process.name, f"still running {STOP_TIMEOUT} s after SIGTERM: killed", 0)
            process.signal(signal.SIGKILL)
        if process.popen is not None:
            process.popen.wait()


class Stop(Exception):
    pass


def stop(number, frame):
    raise Stop


def main(procfile, names):
    commands = helpers.procfile(procfile)
    unknown = [name for name in names if name not in commands]
    if unknown:
        sys.exit(f"{procfile} has no line {', '.join(unknown)}; its lines: {', '.join(commands)}")
    names = names or list(commands)
    width = max(map(len, names))
    processes = [Process(name, commands[name], width) for name in names]
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for process in processes:
            process.start()
        while True:
            time.sleep(0.2)
            now = time.monotonic()
            for process in processes:
                if process.popen is not None and process.popen.poll() is not None:
                    process.exited(now)
                elif process.restart_at is not None and now >= process.restart_at:
                    process.start()
    except Stop:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        say("serve", "stopping every process", width)
        stop_all(processes)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
