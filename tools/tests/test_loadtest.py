"""The load test's instrument: every delivery is matched, so what it reports can be trusted."""

import asyncio
import itertools
import os
import sys
import threading
import time
from argparse import Namespace
from pathlib import Path

import pytest

LOADTEST = Path(__file__).resolve().parents[1] / "loadtest"
sys.path.insert(0, str(LOADTEST))  # its modules import each other as scripts do

import report  # noqa: E402
import run  # noqa: E402
from client import Client, Tally, bare_payload, send_at_rate  # noqa: E402
from crowd import Crowd  # noqa: E402
from websockets.asyncio.server import serve  # noqa: E402


def test_lost_duplicated_and_reordered_deliveries_are_told_apart():
    tally = Tally(clients=2, round=1, sent=3)  # 6 expected
    first, second = Client(0, "", {}), Client(1, "", {})
    first.tally = second.tally = tally
    for number in (1, 2, 3):
        first.count(1, 0, number, sent_at_ns=100, now_ns=105)
    second.count(1, 0, 2, sent_at_ns=100, now_ns=107)
    second.count(1, 0, 1, sent_at_ns=100, now_ns=107)  # after a later one: out of order
    second.count(1, 0, 2, sent_at_ns=100, now_ns=107)  # again: a duplicate; 3 never came
    assert (tally.delivered, tally.unique, tally.duplicates) == (6, 5, 1)
    assert (tally.reordered, tally.lost) == (1, 1)
    assert tally.latencies_ns == [5, 5, 5, 7, 7]  # a duplicate's latency is not counted


def test_a_late_delivery_from_an_earlier_round_does_not_count_in_this_one():
    tally = Tally(clients=1, round=2, sent=1)
    client = Client(0, "", {})
    client.tally = tally
    client.count(1, 0, 1, sent_at_ns=100, now_ns=5000)  # the round before's
    client.count(2, 0, 2, sent_at_ns=100, now_ns=105)
    assert (tally.late, tally.delivered, tally.lost, tally.latencies_ns) == (1, 1, 0, [5])


async def serve_badly(port, handled):
    """A broadcast server that drops its second message and sends its third twice;
    `handled` gets the number of frames it sent for each message."""
    sockets = []

    async def chat(websocket):
        sockets.append(websocket)
        async for frame in websocket:
            copies = {2: 0, 3: 2}.get(len(handled) + 1, 1)
            for socket in sockets:
                for _ in range(copies):
                    await socket.send(frame)
            handled.append(copies * len(sockets))

    return await serve(chat, "127.0.0.1", port)


async def one_bad_round(clients, messages):
    port, handled = run.free_port(), []
    server = await serve_badly(port, handled)
    everyone = [Client(i, f"ws://127.0.0.1:{port}/", {}) for i in range(clients)]
    tally = Tally(clients=clients)
    for client in everyone:
        await client.open()
        client.tally = tally
    readers = [asyncio.create_task(client.receive()) for client in everyone]
    await send_at_rate(itertools.cycle(everyone), 50, messages, bare_payload)
    async with asyncio.timeout(5):  # until every frame the server sent has arrived
        while len(handled) < messages or tally.delivered < sum(handled):
            await asyncio.sleep(0.01)
    for client in everyone:
        await client.socket.close()
    for reader in readers:
        reader.cancel()
    server.close()
    return tally


def test_a_server_that_drops_and_repeats_is_caught():
    tally = asyncio.run(one_bad_round(clients=3, messages=4))
    assert (tally.sent, tally.expected) == (4, 12)
    assert (tally.lost, tally.duplicates, tally.reordered) == (3, 3, 0)


async def a_round_where_the_server_drops_a_socket():
    """Three clients, three messages; after the first, the server drops the first client's
    socket without a closing handshake, as a server far behind may."""
    port, sockets, handled = run.free_port(), [], []

    async def chat(websocket):
        sockets.append(websocket)
        async for frame in websocket:
            for socket in sockets:
                await socket.send(frame)
            handled.append(len(sockets))
            if len(handled) == 1:
                sockets.pop(0).transport.abort()

    server = await serve(chat, "127.0.0.1", port)
    everyone = [Client(i, f"ws://127.0.0.1:{port}/", {}) for i in range(3)]
    tally = Tally(clients=3)
    for client in everyone:
        await client.open()
        client.tally = tally
    readers = [asyncio.create_task(client.receive()) for client in everyone]
    # The first client's second turn comes after its socket is gone: it sends nothing.
    await send_at_rate(itertools.cycle(everyone), 20, 4, bare_payload)
    async with asyncio.timeout(5):
        while len(handled) < 3 or tally.delivered < sum(handled):
            await asyncio.sleep(0.01)
    await asyncio.wait_for(readers[0], 5)  # the dropped socket's reader has ended
    closed = [client.closed for client in everyone]
    for client in everyone[1:]:
        await client.socket.close()
    server.close()
    return tally, closed


def test_a_socket_the_server_drops_ends_quietly_and_its_deliveries_count_as_lost():
    tally, closed = asyncio.run(a_round_where_the_server_drops_a_socket())
    assert (tally.sent, tally.expected, tally.delivered) == (3, 9, 7)
    assert (tally.lost, tally.duplicates, tally.reordered) == (2, 0, 0)
    assert closed == [True, False, False]


def test_clients_in_several_processes_catch_a_server_that_drops_and_repeats():
    port, handled, ready = run.free_port(), [], threading.Event()
    loop = asyncio.new_event_loop()
    stop = loop.create_future()

    async def serve_until_stopped():
        async with await serve_badly(port, handled):
            ready.set()
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(serve_until_stopped(),))
    thread.start()
    crowd = None
    try:
        assert ready.wait(10), "the bad server did not start"
        url = f"ws://127.0.0.1:{port}/"
        crowd = Crowd(2, url, [{}] * 3, [None] * 3, bare_payload)  # 2 processes, 3 clients
        crowd.open()
        number, _ = crowd.start_round(rate=50, duration=4 / 50)
        deadline = time.monotonic() + 30
        while crowd.status()[3] or len(handled) < 4 or crowd.status()[1] < sum(handled):
            assert time.monotonic() < deadline, "the server's frames did not all arrive"
            time.sleep(0.01)
        tally, cpu = crowd.finish(number)
    finally:
        if crowd:
            crowd.close()
        loop.call_soon_threadsafe(stop.set_result, None)
        thread.join()
        loop.close()
    assert (tally.sent, tally.expected) == (4, 12)
    assert (tally.lost, tally.duplicates, tally.reordered) == (3, 3, 0)
    assert len(cpu) == 2


def test_a_round_against_the_baseline_server_counts_every_delivery(tmp_path):
    servers = run.Servers(dict(os.environ), tmp_path, holder_names=("baseline.py",))
    port = run.free_port()
    servers.start("baseline", [sys.executable, str(LOADTEST / "baseline.py"), str(port)])
    # Two client processes: every delivery is still matched, whichever process sent it.
    args = Namespace(clients=5, rate=4, duration=1, ceiling=False, profile=None,
                     server="daphne", client_processes=2)  # fmt: skip
    try:
        run.wait_for_port(port, servers.processes["baseline"])
        url = f"ws://127.0.0.1:{port}/"
        rounds = run.load(url, run.no_headers, run.no_source, bare_payload, servers, args, limit=4)
    finally:
        servers.stop()
    [result] = rounds
    assert (result["sent"], result["expected"], result["delivered"]) == (4, 20, 20)
    assert result["client_processes"] == 2
    assert 0 < result["client_busiest_percent"] <= result["client_cpu_percent"]
    assert result["lost"] == result["duplicates"] == result["reordered"] == 0
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"] < 1000
    assert list(result["cpu_us_by_process"]) == ["baseline"]
    assert run.clean(result)


@pytest.mark.parametrize(
    ("change", "is_clean"),
    [({}, True), ({"lost": 1}, False), ({"duplicates": 1}, False),
     ({"reordered": 1}, False), ({"p99_ms": 999.9}, True), ({"p99_ms": 1000}, False)],
)  # fmt: skip
def test_a_clean_round_loses_nothing_and_has_a_p99_under_a_second(change, is_clean):
    result = {"lost": 0, "duplicates": 0, "reordered": 0, "p99_ms": 10.0} | change
    assert run.clean(result) is is_clean


def test_the_ceiling_search_grows_by_half_then_halves_the_gap_down_to_10_percent():
    assert run.next_rate(10, clean_rate=10, failed_rate=None, limit=100) == 15
    assert run.next_rate(90, clean_rate=90, failed_rate=None, limit=100) == 100
    assert run.next_rate(100, clean_rate=100, failed_rate=None, limit=100) is None
    assert run.next_rate(30, clean_rate=20, failed_rate=30, limit=100) == 25
    assert run.next_rate(25, clean_rate=20, failed_rate=25, limit=100) == 22.5
    assert run.next_rate(22.5, clean_rate=20, failed_rate=22, limit=100) is None
    assert run.next_rate(10, clean_rate=None, failed_rate=10, limit=100) is None


def test_the_ceiling_is_the_best_clean_round():
    rounds = [
        {"rate": 10, "deliveries_per_s": 100, "lost": 0, "duplicates": 0, "reordered": 0,
         "p99_ms": 50},
        {"rate": 15, "deliveries_per_s": 150, "lost": 0, "duplicates": 0, "reordered": 0,
         "p99_ms": 900},
        {"rate": 22, "deliveries_per_s": 190, "lost": 3, "duplicates": 0, "reordered": 0,
         "p99_ms": 80},
    ]  # fmt: skip
    assert run.ceiling(rounds)["rate"] == 15


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["01"], "serves step 04, 05 or 06, not 01"),
        (["06-deploy", "--clients", "5000"], "4,000 at most"),
        (["04", "--layer", "pubsub"], "--layer is for steps 05 and 06"),
    ],
)
def test_a_step_it_cannot_serve_is_refused(monkeypatch, argv, error):
    monkeypatch.setattr(sys, "argv", ["run.py", *argv])
    with pytest.raises(SystemExit, match=error):
        run.main()


@pytest.mark.parametrize("option", ["--clients", "--rate", "--duration", "--gc-threshold"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_counts_and_times_must_be_above_zero(monkeypatch, capsys, option, value):
    monkeypatch.setattr(sys, "argv", ["run.py", "04", option, value])
    with pytest.raises(SystemExit):
        run.main()
    assert f"must be above zero, not {value}" in capsys.readouterr().err


def test_a_rate_over_the_apps_limit_per_user_is_refused(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["run.py", "04", "--clients", "10", "--rate", "10"])
    with pytest.raises(SystemExit, match="at most 9 messages/s"):
        run.main()


def test_the_docs_tables_and_chart_are_drawn_from_the_recorded_results():
    for name, text in report.render(report.OUT).items():
        drawn = (report.OUT / name).read_text(encoding="utf-8")
        assert drawn == text, f"{name} is stale: run python tools/loadtest/report.py"


def test_repeated_runs_are_shown_as_their_median_then_their_range():
    assert report.spread([135, 114, 120]) == "120 (114 to 135)"
    assert report.spread([6.41, 8.2, 7.0], ".1f") == "7.0 (6.4 to 8.2)"


@pytest.mark.parametrize(("busiest", "shown"), [(89.4, "120"), (90, "120 client-bound")])
def test_a_round_whose_busiest_client_process_was_near_a_full_core_is_marked(busiest, shown):
    result = {"client_cpu_percent": 120, "client_busiest_percent": busiest}
    assert report.client_cpu(result) == shown
    assert run.client_bound(result) == shown.endswith("client-bound")
