"""Load test: serve a step, open N logged-in websockets in one room, send at a room-wide rate,
and report what arrived, how fast, and at what cost; then the same against a bare
`websockets` broadcast server, as the baseline every figure is compared with.

    nox -s loadtest -- 06 --clients 200 --rate 10 --duration 20 [--layer redis|pubsub]

Run from the step's directory, in the step's environment (the nox session does both).
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from client import Client, Tally, app_payload, bare_payload, send_at_rate

HERE = Path(__file__).resolve().parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{process.args} exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{process.args} did not listen on port {port} within {timeout} s")


class Servers:
    """The processes that serve the step; stopped on exit, whatever happens."""

    def __init__(self, env, log_dir, holders):
        self.env, self.log_dir, self.processes = env, log_dir, []
        self.holders = holders  # what the command lines of the websockets' processes contain

    def start(self, name, args):
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (kept open while it runs)
        process = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def cpu_seconds(self):
        """User and system time of every process and its children so far."""
        total = 0.0
        for process in self.processes:
            try:
                tree = psutil.Process(process.pid)
                for p in [tree, *tree.children(recursive=True)]:
                    times = p.cpu_times()
                    total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def rss(self):
        """Resident memory of the processes that hold the websockets, in bytes."""
        total = 0
        for process in self.processes:
            tree = psutil.Process(process.pid)
            for p in [tree, *tree.children(recursive=True)]:
                if any(name in " ".join(p.cmdline()) for name in self.holders):
                    total += p.memory_info().rss
        return total

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


USERS = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from chat.models import Room

lobby = Room.objects.get(slug="lobby")
User = get_user_model()
keys = []
for i in range({clients}):
    user, _ = User.objects.get_or_create(username=f"load{{i}}")
    lobby.members.add(user)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    keys.append(session.session_key)
print(json.dumps(keys))
"""


def prepare(env, clients):
    """A fresh database: migrated, seeded, and a member with a real session per client."""

    def manage(*args, **kwargs):
        return subprocess.run([sys.executable, "manage.py", *args], env=env, check=True, **kwargs)

    manage("migrate", "-v0")
    manage("seed_demo", stdout=subprocess.DEVNULL)
    code = USERS.format(clients=clients)
    out = manage("shell", "-v0", "-c", code, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def serve_step(step, servers, env, port):
    """Start the step as it is served, on `port`; return the address clients connect to."""
    if step.startswith("06"):
        return serve_stack(servers, env)
    daphne = [sys.executable, "-m", "daphne", "-b", "127.0.0.1"]
    if step.startswith("05"):
        redis = servers.start(
            "redis",
            ["redis-server", "--port", env["REDIS_PORT"], "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
        )
        wait_for_port(int(env["REDIS_PORT"]), redis)
        worker = [sys.executable, "manage.py", "runworker", "chat-commands", "chat-presence"]
        servers.start("worker", worker)
        servers.start("tick", [sys.executable, "manage.py", "tick"])
    web = servers.start("daphne", [*daphne, "-p", str(port), "backchat.asgi:application"])
    wait_for_port(port, web)
    return f"127.0.0.1:{port}"


def stack_env(env, port, run_dir):
    """Step 06's own environment for one machine (deploy/local.py), on our database."""
    local = subprocess.run(
        [sys.executable, "deploy/local.py", str(port), str(run_dir)],
        env=env, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout  # fmt: skip
    return env | json.loads(local) | {"DATABASE_URL": f"sqlite:///{env['LOADTEST_DB']}"}


def serve_stack(servers, env):
    """Every line of step 06's Procfile, a process each, as its tests run them."""
    for line in Path("Procfile").read_text().splitlines():
        if line and not line.startswith("#"):
            name, command = line.split(":", 1)
            servers.start(name, ["bash", "-c", command.strip()])
    for name in ("PORT", "WSGI_PORT", "DAPHNE_1_PORT", "DAPHNE_2_PORT", "REDIS_PORT"):
        wait_for_port(int(env[name]), servers.processes[0])
    return env["NGINX_LISTEN"]


async def measure(url, headers_for, clients, rate, duration, payload, servers, source_for=None):
    """Open every client, send for `duration` seconds, wait for the last deliveries; a Tally."""
    tally = Tally(clients=clients)
    source_for = source_for or (lambda i: None)
    everyone = [Client(i, tally, url, headers_for(i), source_for(i)) for i in range(clients)]
    rss_before = servers.rss()
    for client in everyone:  # one after the other: a connect storm measures something else
        await client.open()
    readers = [asyncio.create_task(client.receive()) for client in everyone]
    tally.rss_per_client = (servers.rss() - rss_before) / clients
    cpu_before, started = servers.cpu_seconds(), time.monotonic()
    progress = asyncio.create_task(report_progress(tally, started))
    await send_at_rate(everyone, rate, duration, payload)
    # The last deliveries: done when all arrived, or nothing new came for two seconds.
    last, quiet_since = -1, time.monotonic()
    while tally.delivered - tally.duplicates < tally.expected:
        await asyncio.sleep(0.1)
        if tally.delivered != last:
            last, quiet_since = tally.delivered, time.monotonic()
        elif time.monotonic() - quiet_since > 2:
            break
    tally.seconds = time.monotonic() - started
    tally.cpu_seconds = servers.cpu_seconds() - cpu_before
    progress.cancel()
    for client in everyone:
        await client.socket.close()
    for reader in readers:
        reader.cancel()
    print(file=sys.stderr)
    return tally


async def report_progress(tally, started):
    while True:
        await asyncio.sleep(1)
        print(
            f"\r{time.monotonic() - started:5.0f} s  sent {tally.sent}  delivered "
            f"{tally.delivered}/{tally.expected}",
            end="",
            file=sys.stderr,
            flush=True,
        )


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def summary(tally):
    ms = [ns / 1e6 for ns in tally.latencies_ns]
    return {
        "clients": tally.clients,
        "sent": tally.sent,
        "expected": tally.expected,
        "delivered": tally.delivered - tally.duplicates,
        "lost": tally.lost,
        "duplicates": tally.duplicates,
        "reordered": tally.reordered,
        "p50_ms": percentile(ms, 0.50),
        "p95_ms": percentile(ms, 0.95),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms, default=float("nan")),
        "deliveries_per_s": (tally.delivered - tally.duplicates) / tally.seconds,
        "connect_ms_p50": statistics.median(tally.connect_seconds) * 1000,
        "cpu_us_per_delivery": tally.cpu_seconds / max(1, tally.delivered) * 1e6,
        "rss_kib_per_client": tally.rss_per_client / 1024,
    }


def table(app, bare):
    rows = [
        ("messages sent", "sent", "{:.0f}"),
        ("deliveries expected", "expected", "{:.0f}"),
        ("delivered", "delivered", "{:.0f}"),
        ("lost", "lost", "{:.0f}"),
        ("duplicates", "duplicates", "{:.0f}"),
        ("out of order", "reordered", "{:.0f}"),
        ("latency p50, ms", "p50_ms", "{:.1f}"),
        ("latency p95, ms", "p95_ms", "{:.1f}"),
        ("latency p99, ms", "p99_ms", "{:.1f}"),
        ("latency max, ms", "max_ms", "{:.1f}"),
        ("deliveries / s", "deliveries_per_s", "{:.0f}"),
        ("connect p50, ms", "connect_ms_p50", "{:.1f}"),
        ("server CPU / delivery, µs", "cpu_us_per_delivery", "{:.0f}"),
        ("server memory / client, KiB", "rss_kib_per_client", "{:.0f}"),
    ]
    lines = [f"{'':30} {'app':>12} {'baseline':>12} {'app/baseline':>13}"]
    for label, key, fmt in rows:
        ratio = app[key] / bare[key] if bare[key] else float("nan")
        lines.append(
            f"{label:30} {fmt.format(app[key]):>12} {fmt.format(bare[key]):>12} {ratio:>13.2f}"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10, help="messages a second, room-wide")
    parser.add_argument("--duration", type=float, default=20, help="seconds of sending")
    parser.add_argument("--layer", choices=["redis", "pubsub"], default="redis")
    parser.add_argument("--record", type=Path, help="append the results to this JSON lines file")
    args = parser.parse_args()
    if args.rate > args.clients:
        sys.exit(
            f"--rate {args.rate:g} with {args.clients} clients is more than one message a "
            "second per user, over the app's own limit (10 frames in 10 s)"
        )
    work = Path(tempfile.mkdtemp(prefix="loadtest-"))
    port, redis_port = free_port(), free_port()
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(HERE), os.getcwd()]),
        "DJANGO_SETTINGS_MODULE": "settings",
        "LOADTEST_DB": str(work / "db.sqlite3"),
        "LOADTEST_LAYER": args.layer,
        "REDIS_PORT": str(redis_port),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
    }
    if args.step.startswith("06"):
        (work / "run").mkdir()
        env = stack_env(env, port, work / "run")
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                       env=env, check=True)  # fmt: skip
    servers = Servers(env, work, holders=("daphne",))
    try:
        keys = prepare(env, args.clients)
        host = serve_step(args.step, servers, env, port)
        origin = f"http://{host}"

        def headers(i):
            return {"Origin": origin, "Cookie": f"sessionid={keys[i]}"}

        print(
            f"{args.step}: {args.clients} clients, {args.rate:g} messages/s for "
            f"{args.duration:g} s, layer {args.layer}",
            file=sys.stderr,
        )

        # nginx lets 10 new websockets a second through per address (a burst of 20): the
        # clients come from many loopback addresses, as many users would from theirs.
        def source(i):
            return f"127.0.0.{2 + i // 16}" if args.step.startswith("06") else None

        url = f"ws://{host}/ws/rooms/lobby/"
        tally = asyncio.run(
            measure(url, headers, args.clients, args.rate, args.duration, app_payload, servers,
                    source)
        )  # fmt: skip
        app = summary(tally)
    finally:
        servers.stop()
    bare_servers = Servers(env, work, holders=("baseline.py",))
    try:
        bare_port = free_port()
        bare_servers.start("baseline", [sys.executable, str(HERE / "baseline.py"), str(bare_port)])
        wait_for_port(bare_port, bare_servers.processes[0])
        print("baseline: the same load against a bare websockets server", file=sys.stderr)
        bare = summary(
            asyncio.run(
                measure(
                    f"ws://127.0.0.1:{bare_port}/",
                    lambda i: {},
                    args.clients,
                    args.rate,
                    args.duration,
                    bare_payload,
                    bare_servers,
                )
            )
        )
    finally:
        bare_servers.stop()
    print(table(app, bare))
    if args.record:
        with args.record.open("a") as out:
            out.write(
                json.dumps(
                    {
                        "step": args.step,
                        "layer": args.layer,
                        "rate": args.rate,
                        "app": app,
                        "baseline": bare,
                    }
                )
                + "\n"
            )
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
