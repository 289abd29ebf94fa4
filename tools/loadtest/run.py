"""Load test: serve a step, open N logged-in websockets in one room, send at a room-wide rate,
and report what arrived, how fast, and at what cost; then the same against a bare
`websockets` broadcast server, as the baseline every figure is compared with.

    nox -s loadtest -- 06 --clients 200 --rate 10 --duration 20 [--layer redis|pubsub]
                                  [--server daphne|uvicorn|granian] [--client-processes N]

Run from the step's directory, in the step's environment (the nox session does both).
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the one way to import the tools' modules

import gcstats  # noqa: E402
import helpers  # noqa: E402
import profiling  # noqa: E402
import psutil  # noqa: E402
from client import app_payload, bare_payload  # noqa: E402
from crowd import Crowd  # noqa: E402
from helpers import free_port, wait_for_port  # noqa: E402
from report import CLIENT_BOUND  # noqa: E402


class Servers:
    """The processes that serve the step; stopped on exit, whatever happens."""

    def __init__(self, env, log_dir, holder_names):
        self.env, self.log_dir, self.processes = env, log_dir, {}  # name -> Popen
        self.holder_names = holder_names  # in the command lines of the websockets' holders

    def start(self, name, args):
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (kept open while it runs)
        process = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def cpu_seconds(self):
        """User and system time so far of each process, its children included, by name."""
        seconds = {}
        for name, process in self.processes.items():
            seconds[name] = 0.0
            try:
                tree = psutil.Process(process.pid)
                for p in [tree, *tree.children(recursive=True)]:
                    times = p.cpu_times()
                    seconds[name] += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return seconds

    def holders(self):
        """The processes that hold the websockets (by their command lines)."""
        found = []
        for process in self.processes.values():
            tree = psutil.Process(process.pid)
            for p in [tree, *tree.children(recursive=True)]:
                try:
                    if any(name in " ".join(p.cmdline()) for name in self.holder_names):
                        found.append(p)
                except psutil.NoSuchProcess:  # gone, or a zombie, meanwhile
                    pass
        return found

    def holder_pids(self):
        return [p.pid for p in self.holders()]

    def gc_seconds(self):
        """With --gc-stats: the seconds the websockets' holders spent in the garbage
        collector so far, by generation (0, 1, 2); else None."""
        directory = self.env.get("LOADTEST_GC_STATS")
        if not directory:
            return None
        totals = gcstats.read(directory)
        counted = [totals[pid] for pid in self.holder_pids() if pid in totals]
        if not counted:  # the baseline server does not count
            return None
        return [sum(process["seconds"][g] for process in counted) for g in range(3)]

    def rss(self):
        """Resident memory of the processes that hold the websockets, in bytes."""
        return sum(p.memory_info().rss for p in self.holders())

    def stop(self):
        for process in self.processes.values():
            helpers.stop(process)


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


def serve_step(step, servers, env, port, server="daphne"):
    """Start the step as it is served, on `port`; return the address clients connect to."""
    if step.startswith("06"):
        return serve_stack(servers, env, server)
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


# What many users run instead of Daphne (--server), in place of each Daphne line of the
# Procfile, on its port; uvicorn with its `websockets` implementation, as the load test's own,
# and without a log line per connection (Daphne logs none either). Neither compresses, as
# Daphne does not: uvicorn would by default, with zlib, for every socket and frame.
OTHER_SERVERS = {
    "uvicorn": "uvicorn --ws websockets --ws-per-message-deflate false --proxy-headers "
    "--no-access-log --log-level warning --host $BIND --port ${port} backchat.asgi:application",
    "granian": "granian --interface asginl --host $BIND --port ${port} backchat.asgi:application",
}


def serve_stack(servers, env, server="daphne"):
    """Every line of step 06's Procfile, a process each, as its tests run them (with
    `server` in place of the Daphnes)."""
    ports = {"nginx": "PORT", "uwsgi": "WSGI_PORT", "redis": "REDIS_PORT"}
    for name, command in helpers.procfile("Procfile").items():
        if name in ("daphne1", "daphne2"):
            port = f"DAPHNE_{name[-1]}_PORT"
            if server != "daphne":
                command = "exec " + OTHER_SERVERS[server].replace("${port}", f"${port}")
                name = name.replace("daphne", server)
            ports[name] = port
        servers.start(name, ["bash", "-c", command])
    for name, port in ports.items():
        wait_for_port(int(env[port]), servers.processes[name])
    return env["NGINX_LISTEN"]


# As many as the cores, up to 4: one process would saturate a core before the server does.
CLIENT_PROCESSES = min(4, os.cpu_count() or 1)
NOT_CLEAN = 3  # the exit status of a steady run that lost, repeated or reordered messages
BASELINE_LIMIT = 1000  # messages a second per client: only a bound for the rounds


def max_rate(clients):
    """The most a room can send: the app lets one user send 10 frames in a window of 10 s
    that their first frame opens, so 0.9 a second each leaves a margin for timer jitter."""
    return 0.9 * clients


def load(url, headers_for, source_for, payload, servers, args, limit):
    """Connect every client, then send: one round at --rate; or, with --ceiling, rounds of
    growing rate until one is not clean (or the rate reaches `limit`), then halfway between
    the last clean rate and that one, until they are within 10%. The rounds' summaries."""
    clients = range(args.clients)
    crowd = Crowd(args.client_processes, url, [headers_for(i) for i in clients],
                  [source_for(i) for i in clients], payload)  # fmt: skip
    try:
        rss_before = servers.rss()
        # One after the other in each process: a connect storm would measure something else.
        connect_ms = statistics.median(crowd.open()) * 1000
        rss_kib = (servers.rss() - rss_before) / args.clients / 1024
        rounds, rate = [], args.rate
        clean_rate = failed_rate = None
        while True:
            profile = profiling.start(args.server, servers.holder_pids(), rate, args.duration,
                                      args.profile)  # fmt: skip
            tally, seconds, cpu = send_round(crowd, rate, args.duration, servers)
            rounds.append(
                summary(tally, rate, seconds, cpu)
                | {"connect_ms_p50": connect_ms, "rss_kib_per_client": rss_kib}
                | {"at_limit": rate >= limit}  # a clean round here: the ceiling is higher
            )
            profiling.report(profile)
            if not args.ceiling:
                break
            if clean(rounds[-1]):
                clean_rate = rate
            else:
                failed_rate = rate
            rate = next_rate(rate, clean_rate, failed_rate, limit)
            if rate is None:
                break
    finally:
        crowd.close()
    return rounds


def next_rate(rate, clean_rate, failed_rate, limit):
    """The rate of a ceiling search's next round, or None once the ceiling is found."""
    if failed_rate is None:  # growing, by half each time
        return None if rate >= limit else min(limit, rate * 1.5)
    if clean_rate is None or failed_rate <= clean_rate * 1.1:
        return None
    return (clean_rate + failed_rate) / 2  # halfway between the last clean and a failed one


def send_round(crowd, rate, duration, servers):
    """Send for `duration` seconds and wait for the last deliveries: the round's tally,
    the seconds from the first message to the last delivery, and the CPU seconds of the
    servers (by name) and of each client process."""
    cpu_before, gc_before = servers.cpu_seconds(), servers.gc_seconds()
    number, started = crowd.start_round(rate, duration)
    # Done when everything arrived, or when nothing new came for two seconds.
    tty, shown = sys.stderr.isatty(), started
    last, quiet_since = -1, time.monotonic()
    while True:
        time.sleep(0.1)
        sent, _, unique, sending = crowd.status()
        now = time.monotonic()
        if now - shown >= (1 if tty else 5):  # a line a second on a terminal, else every 5 s
            line = f"{now - started:4.0f} s  {rate:.4g} messages/s  sent {sent}  "
            line += f"delivered {unique}/{sent * crowd.clients}"
            print(f"\r{line}" if tty else line, end="" if tty else "\n", file=sys.stderr)
            shown = now
        if sending or unique != last:
            last, quiet_since = unique, now
        elif unique >= sent * crowd.clients or now - quiet_since >= 2:
            break
    time.sleep(gcstats.EVERY if gc_before else 0)  # their newest totals
    after, gc_after = servers.cpu_seconds(), servers.gc_seconds()
    tally, client_cpu = crowd.finish(number)
    print(file=sys.stderr)
    cpu = {name: after[name] - cpu_before[name] for name in after}
    gc = gc_before and [a - b for a, b in zip(gc_after, gc_before, strict=True)]
    return tally, (tally.last_delivery or time.monotonic()) - started, (cpu, client_cpu, gc)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def summary(tally, rate, seconds, cpu):
    ms = [ns / 1e6 for ns in tally.latencies_ns]
    server_cpu, client_cpu, gc = cpu
    return {
        # With --gc-stats: the holders' garbage collections, µs per delivery by generation.
        **({"gc_us_per_delivery": [s / max(1, tally.unique) * 1e6 for s in gc]} if gc else {}),
        "rate": rate,
        "sent": tally.sent,
        "expected": tally.expected,
        "delivered": tally.unique,
        "lost": tally.lost,
        "duplicates": tally.duplicates,
        "reordered": tally.reordered,
        "closed": tally.closed,
        "p50_ms": percentile(ms, 0.50),
        "p95_ms": percentile(ms, 0.95),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms, default=float("nan")),
        "deliveries_per_s": tally.unique / seconds,
        "cpu_us_per_delivery": sum(server_cpu.values()) / max(1, tally.unique) * 1e6,
        "cpu_us_by_process": {
            name: seconds / max(1, tally.unique) * 1e6 for name, seconds in server_cpu.items()
        },
        # The clients' own CPU, all processes (100 = one core), and the busiest one's.
        "client_processes": len(client_cpu),
        "client_cpu_percent": 100 * sum(client_cpu) / seconds,
        "client_busiest_percent": 100 * max(client_cpu) / seconds,
    }


def client_bound(result):
    """True if the clients, not the server, may be what limited the round."""
    return result["client_busiest_percent"] >= CLIENT_BOUND


def clean(result):
    """No message lost, duplicated or out of order, and a p99 under a second."""
    flawless = result["lost"] == result["duplicates"] == result["reordered"] == 0
    return flawless and result["p99_ms"] < 1000


ROWS = [
    ("messages sent", "sent", "{:.0f}"),
    ("deliveries expected", "expected", "{:.0f}"),
    ("delivered", "delivered", "{:.0f}"),
    ("lost", "lost", "{:.0f}"),
    ("duplicates", "duplicates", "{:.0f}"),
    ("out of order", "reordered", "{:.0f}"),
    ("sockets closed by the server", "closed", "{:.0f}"),
    ("latency p50, ms", "p50_ms", "{:.1f}"),
    ("latency p95, ms", "p95_ms", "{:.1f}"),
    ("latency p99, ms", "p99_ms", "{:.1f}"),
    ("latency max, ms", "max_ms", "{:.1f}"),
    ("deliveries / s", "deliveries_per_s", "{:.0f}"),
    ("connect p50, ms", "connect_ms_p50", "{:.1f}"),
    ("server CPU / delivery, µs", "cpu_us_per_delivery", "{:.0f}"),
    ("server memory / client, KiB", "rss_kib_per_client", "{:.0f}"),
    ("client CPU, % of a core", "client_cpu_percent", "{:.0f}"),
    ("busiest client process, %", "client_busiest_percent", "{:.0f}"),
]


def table(app, bare):
    """One round of the app beside the same round of the baseline."""
    lines = [f"{'':30} {'app':>12} {'baseline':>12} {'app/baseline':>13}"]
    for label, key, fmt in ROWS:
        ratio = app[key] / bare[key] if bare[key] else float("nan")
        lines.append(
            f"{label:30} {fmt.format(app[key]):>12} {fmt.format(bare[key]):>12} {ratio:>13.2f}"
        )
    for name, result in (("app", app), ("baseline", bare)):
        if client_bound(result):
            lines.append(f"CLIENT-BOUND: a client process of the {name} round was at "
                         f"{result['client_busiest_percent']:.0f}% of a core; its figures "
                         "say what the clients could take, not the server")  # fmt: skip
    return "\n".join(lines)


def rounds_table(name, rounds):
    head = f"{'messages/s':>10} {'deliveries/s':>13} {'lost':>6} {'p99 ms':>8} {'CPU µs':>7}"
    lines = [f"{name}: {head} {'client CPU %':>13}"]
    for r in rounds:
        lines.append(
            f"{'':{len(name)}}  {r['rate']:>10.0f} {r['deliveries_per_s']:>13.0f} {r['lost']:>6} "
            f"{r['p99_ms']:>8.1f} {r['cpu_us_per_delivery']:>7.0f} {r['client_cpu_percent']:>13.0f}"
            + ("" if clean(r) else "  not clean")
            + ("  CLIENT-BOUND" if client_bound(r) else "")
        )
    return "\n".join(lines)


def cpu_split(result):
    """Where the app's CPU per delivery went: which process, in µs (and, with --gc-stats,
    how much of it the servers' garbage collections took)."""
    by_process = sorted(result["cpu_us_by_process"].items(), key=lambda item: -item[1])
    line = "server CPU / delivery by process, µs: " + ", ".join(
        f"{name} {us:.0f}" for name, us in by_process
    )
    if "gc_us_per_delivery" in result:
        young, middle, full = result["gc_us_per_delivery"]
        line += f"\ngarbage collection / delivery, µs: {young:.1f}, {middle:.1f}, {full:.1f}"
        line += " (generations 0, 1, 2)"
    return line


def ceiling(rounds):
    """The clean round with the most deliveries a second."""
    return max((r for r in rounds if clean(r)), key=lambda r: r["deliveries_per_s"], default=None)


def ceiling_line(app, bare):
    best, bare_best = ceiling(app), ceiling(bare)
    if best is None or bare_best is None:
        return "clean ceiling: none, the first round was not clean"

    def figure(r):
        return f"{r['deliveries_per_s']:.0f}" + (" or more" if r["at_limit"] else "")

    return (
        f"clean ceiling, deliveries/s: app {figure(best)}, baseline {figure(bare_best)}, "
        f"app/baseline {best['deliveries_per_s'] / bare_best['deliveries_per_s']:.2f}"
        + (" (the rounds stopped at the rate limit)" if best["at_limit"] else "")
    )


def machine():
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                  if line.startswith("model name")]  # fmt: skip
        cpu = models[0] if models else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "system": platform.platform(),
        "python": platform.python_version(),
    }


def no_headers(i):
    return {}


def no_source(i):
    return None


def positive(kind):
    """An argparse type: a number of `kind` above zero."""

    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be above zero, not {text}")
        return value

    return parse


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", help="04, 05 or 06 (as 04-htmx, ...)")
    parser.add_argument("--clients", type=positive(int), default=50)
    parser.add_argument("--rate", type=positive(float), default=10,
                        help="messages a second, room-wide")  # fmt: skip
    parser.add_argument("--duration", type=positive(float), default=20,
                        help="seconds of sending a round")  # fmt: skip
    parser.add_argument("--layer", choices=["redis", "pubsub"], help="steps 05 and 06")
    parser.add_argument("--server", choices=["daphne", *OTHER_SERVERS], default="daphne",
                        help="step 06: the ASGI server behind nginx")  # fmt: skip
    parser.add_argument("--ceiling", action="store_true",
                        help="rounds of growing rate, to the highest that stays clean")  # fmt: skip
    parser.add_argument("--client-processes", type=positive(int), default=CLIENT_PROCESSES,
                        help="processes the clients are spread over")  # fmt: skip
    parser.add_argument("--gc-stats", action="store_true",
                        help="time the servers' garbage collections (gcstats.py)")  # fmt: skip
    parser.add_argument("--gc-freeze", action="store_true",
                        help="also gc.freeze() in each server once started")  # fmt: skip
    parser.add_argument("--gc-threshold", type=positive(int),
                        help="collect the youngest objects every N new ones, not 700")  # fmt: skip
    parser.add_argument("--profile", type=Path, help="sample the servers with py-spy, into DIR")
    parser.add_argument("--record", type=Path, help="append the results to this JSON lines file")
    args = parser.parse_args()
    if not args.step.startswith(("04", "05", "06")):
        sys.exit(f"The load test serves step 04, 05 or 06, not {args.step}")
    if args.step.startswith("06") and args.clients > 16 * 250:
        sys.exit("Step 06's clients come from 127.0.0.2 to 127.0.0.251: 4,000 at most")
    if args.server != "daphne" and not args.step.startswith("06"):
        sys.exit("--server is for step 06, whose nginx can serve another ASGI server")
    in_memory = args.step.startswith("04")
    if in_memory and args.layer:
        sys.exit(f"Step {args.step} uses the in-memory layer: --layer is for steps 05 and 06")
    layer = "in-memory" if in_memory else args.layer or "redis"
    if args.rate > max_rate(args.clients):
        sys.exit(
            f"--rate {args.rate:g} with {args.clients} clients is over the app's own limit "
            f"per user (10 frames in 10 s): at most {max_rate(args.clients):g} messages/s"
        )
    work = Path(tempfile.mkdtemp(prefix="loadtest-"))
    port, redis_port = free_port(), free_port()
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(HERE), os.getcwd()]),
        "DJANGO_SETTINGS_MODULE": "settings",
        "LOADTEST_DB": str(work / "db.sqlite3"),
        "LOADTEST_LAYER": layer,
        "LOADTEST_GC_STATS": str(work / "gc") if args.gc_stats else "",
        "LOADTEST_GC_FREEZE": "1" if args.gc_freeze else "",
        "LOADTEST_GC_THRESHOLD": str(args.gc_threshold or ""),
        "REDIS_PORT": str(redis_port),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
    }
    if args.gc_stats:
        (work / "gc").mkdir()
    if args.step.startswith("06"):
        (work / "run").mkdir()
        env = stack_env(env, port, work / "run")
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                       env=env, check=True)  # fmt: skip
    print(
        f"{args.step}, {layer} layer, {args.server}"
        + (f", collector every {args.gc_threshold}" if args.gc_threshold else "")
        + f": {args.clients} clients, "
        f"from {args.rate:g} messages/s, {args.duration:g} s a round",
        file=sys.stderr,
    )
    servers = Servers(env, work, holder_names=(args.server,))
    try:
        keys = prepare(env, args.clients)
        host = serve_step(args.step, servers, env, port, args.server)

        def headers(i):
            return {"Origin": f"http://{host}", "Cookie": f"sessionid={keys[i]}"}

        # nginx lets 10 new websockets a second through per address (a burst of 20): the
        # clients come from many loopback addresses, as many users would from theirs.
        def source(i):
            return f"127.0.0.{2 + i // 16}" if args.step.startswith("06") else None

        url = f"ws://{host}/ws/rooms/lobby/"
        app = load(url, headers, source, app_payload, servers, args, max_rate(args.clients))
    finally:
        servers.stop()
    print("baseline: the same load against a bare websockets server", file=sys.stderr)
    bare_servers = Servers(env, work, holder_names=("baseline.py",))
    try:
        bare_port = free_port()
        bare_servers.start("baseline", [sys.executable, str(HERE / "baseline.py"), str(bare_port)])
        wait_for_port(bare_port, bare_servers.processes["baseline"])
        bare_url = f"ws://127.0.0.1:{bare_port}/"
        bare_args = argparse.Namespace(**vars(args) | {"profile": None})
        # No limit per user here: the rounds go on until the server, or the clients, give out.
        bare = load(bare_url, no_headers, no_source, bare_payload, bare_servers, bare_args,
                    limit=BASELINE_LIMIT * args.clients)  # fmt: skip
    finally:
        bare_servers.stop()
    if args.ceiling:
        print(rounds_table("app", app))
        print(rounds_table("baseline", bare))
        print(ceiling_line(app, bare))
    else:
        print(table(app[0], bare[0]))
        print(cpu_split(app[0]))
    if args.record:
        result = {"step": args.step, "layer": layer, "server": args.server}
        result |= {"gc_threshold": args.gc_threshold}
        result |= {"clients": args.clients, "client_processes": args.client_processes}
        result |= {"ceiling": args.ceiling, "machine": machine(), "app": app, "baseline": bare}
        with args.record.open("a") as out:
            out.write(json.dumps(result) + "\n")
    shutil.rmtree(work)
    first = app[0]
    if not args.ceiling and first["lost"] + first["duplicates"] + first["reordered"]:
        print("The app lost, repeated or reordered messages: see the table above.")
        sys.exit(NOT_CLEAN)


if __name__ == "__main__":
    main()
