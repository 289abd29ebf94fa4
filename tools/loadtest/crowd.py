"""The clients, spread over several processes, so that one Python process (one core) is
not what limits a round. Each process holds every P-th client, sends its share of the
room-wide rate and counts what its clients receive; the tallies are added up at the end
of each round. Latencies need no shared state: every token carries its sending time on
the machine's one monotonic clock.
"""

import asyncio
import contextlib
import itertools
import multiprocessing
import time

from client import Client, Tally, send_at_rate

# Each process is started afresh (spawn, not fork): the parent may be running an event loop.
SPAWN = multiprocessing.get_context("spawn")


class Crowd:
    """`clients` websockets to `url`, in `processes` processes; stopped by close()."""

    def __init__(self, processes, url, headers, sources, payload):
        self.clients = len(headers)
        self.rounds = itertools.count(1)
        self.pipes, self.processes = [], []
        processes = min(processes, self.clients)
        for k in range(processes):
            ours, theirs = SPAWN.Pipe()
            mine = list(range(k, self.clients, processes))
            work = (theirs, mine, url, [headers[i] for i in mine], [sources[i] for i in mine],
                    payload, self.clients)  # fmt: skip
            process = SPAWN.Process(target=hold, args=work, daemon=True)
            self.pipes.append(ours)
            self.processes.append(process)
            process.start()

    def ask(self, *command):
        """Send a command to every process; their answers."""
        for pipe in self.pipes:
            pipe.send(command)
        return [self.answer(pipe) for pipe in self.pipes]

    def answer(self, pipe, timeout=120):
        if not pipe.poll(timeout):
            raise RuntimeError(f"a client process did not answer within {timeout} s")
        answer = pipe.recv()
        if isinstance(answer, BaseException):
            raise RuntimeError(f"a client process failed: {answer!r}") from answer
        return answer

    def open(self):
        """Connect every client (one after the other in each process); the seconds each took."""
        return [seconds for times in self.ask("open") for seconds in times]

    def start_round(self, rate, duration):
        """Every process starts sending its share at the same moment; the round's start."""
        started = time.monotonic() + 0.1
        number = next(self.rounds)
        total = round(rate * duration)
        for k, pipe in enumerate(self.pipes):
            # Its clients' share of the rate, and of the messages (which add up to `total`).
            share = len(range(k, self.clients, len(self.pipes))) / self.clients
            before = round(total * k / len(self.pipes))
            count = round(total * (k + 1) / len(self.pipes)) - before
            pipe.send(("round", number, rate * share, count, started))
        for pipe in self.pipes:
            assert self.answer(pipe) == "sending"
        return number, started

    def status(self):
        """(sent, deliveries, unique deliveries, whether any process is still sending)."""
        sent, delivered, unique, sending = zip(*self.ask("status"), strict=True)
        return sum(sent), sum(delivered), sum(unique), any(sending)

    def finish(self, number):
        """The round's tally, added up, and each process's CPU seconds during it."""
        tally = Tally(clients=self.clients, round=number)
        cpu = []
        for part, seconds in self.ask("finish"):
            tally.sent += part.sent
            tally.delivered += part.delivered
            tally.duplicates += part.duplicates
            tally.reordered += part.reordered
            tally.late += part.late
            tally.closed += part.closed
            tally.latencies_ns += part.latencies_ns
            tally.last_delivery = max(tally.last_delivery, part.last_delivery)
            cpu.append(seconds)
        return tally, cpu

    def close(self):
        for pipe, process in zip(self.pipes, self.processes, strict=True):
            if process.is_alive():
                with contextlib.suppress(OSError):  # it is on its way out already
                    pipe.send(("close",))
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()


def hold(pipe, indices, url, headers, sources, payload, clients):
    """A client process: its clients, and the commands of the Crowd that started it."""
    try:
        asyncio.run(serve_commands(pipe, indices, url, headers, sources, payload, clients))
    except Exception as error:  # told to the parent, which raises it
        pipe.send(error)


async def serve_commands(pipe, indices, url, headers, sources, payload, clients):
    everyone = [Client(i, url, h, s) for i, h, s in zip(indices, headers, sources, strict=True)]
    turns = itertools.cycle(everyone)  # kept from round to round, as each user's own rate
    tally, sending, readers, cpu = Tally(clients=clients), None, [], 0.0
    while True:
        command, *args = await asyncio.to_thread(pipe.recv)
        if command == "open":
            pipe.send([await client.open() for client in everyone])  # one after the other
            readers = [asyncio.create_task(client.receive()) for client in everyone]
        elif command == "round":
            number, rate, count, started = args
            tally = Tally(clients=clients, round=number)
            for client in everyone:
                client.tally = tally
            cpu = time.process_time()
            sending = asyncio.create_task(send_at_rate(turns, rate, count, payload, started))
            pipe.send("sending")
        elif command == "status":
            if sending.done():
                sending.result()  # raises what went wrong, if anything did
            pipe.send((tally.sent, tally.delivered, tally.unique, not sending.done()))
        elif command == "finish":
            tally.closed = sum(client.closed for client in everyone)
            pipe.send((tally, time.process_time() - cpu))
        elif command == "close":
            for client in everyone:
                if client.socket:
                    await client.socket.close()
            for reader in readers:
                reader.cancel()
            return
