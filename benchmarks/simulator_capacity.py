"""Can the simulator serve 1,000 concurrent streams without being the bottleneck?

The simulator runs in its own process (``SimulatorProcess``; ttft 0.5 s, 20 tokens at
200 tokens/s). A client made of plain httpx, in other processes, first times one stream
alone, then N concurrent streams (default 1,000), each timed from just before its request
is sent to its ``data: [DONE]`` line. Target: every stream done within 1.3x of the single
stream.

How the client is built, and why:
  * One ``httpx.AsyncClient`` per stream: httpx's connection pool does work quadratic in its
    size (opening 1,000 connections through one client took 22 s here).
  * Connections are opened before the timed rounds (one quick request on each): the question
    is the server's streaming capacity, not how fast a client opens TCP connections.
  * httpx costs about 1 ms of CPU per streamed request, so one client process needs about a
    second of CPU for 1,000 streams: more than the 0.78 s the target allows. ``--clients K``
    spreads the streams over K processes (default 2); ``--clients 1`` is the literal
    single-process client.
  * ``--client raw`` swaps httpx for a minimal asyncio-socket client (same requests, reads to
    the end of the chunked body) as a control: it shows what the server does when the client
    costs next to nothing.

Besides the client's figures the script prints the server's own: its CPU time per round
(Linux) and ``max_lateness``, the most any token went out after its due time. A lateness near
the 5 ms tick means the simulator kept its schedule, whatever the client measured.

Usage: ``uv run python benchmarks/simulator_capacity.py [--streams 1000] [--clients 2]
[--client httpx|raw]``
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import multiprocessing
import os
import ssl
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_app.simulator import SimulatorConfig, SimulatorProcess  # noqa: E402

TARGET_RATIO = 1.3
CONFIG = SimulatorConfig(ttft=0.5, tokens_per_second=200.0, tokens=20)
IDEAL = CONFIG.ttft + (CONFIG.tokens - 1) / CONFIG.tokens_per_second
RAW_END = b"data: [DONE]\n\n\r\n0\r\n\r\n"
Results = list[tuple[list[float], float]]


@dataclass(frozen=True)
class RoundResult:
    """One timed round: every stream's duration and each client process's CPU seconds."""

    durations: list[float]
    client_cpu: list[float]
    server_cpu: float | None

    def report(self, label: str, single: float) -> str:
        """Describe the round relative to the single-stream duration."""
        ordered = sorted(self.durations)
        worst = ordered[-1]
        verdict = "met" if worst <= TARGET_RATIO * single else "MISSED"
        server = "n/a" if self.server_cpu is None else f"{self.server_cpu:.2f} s"
        cpus = ", ".join(f"{c:.2f}" for c in self.client_cpu)
        return (f"{label}: {len(ordered)} streams: p50 {statistics.median(ordered):.3f} s, "
                f"p95 {ordered[int(len(ordered) * 0.95) - 1]:.3f} s, max {worst:.3f} s = "
                f"{worst / single:.2f}x single (target <= {TARGET_RATIO}x: {verdict}); "
                f"CPU: server {server}, client processes [{cpus}] s")


def _chat(text: str, model: str = "sim", stream: bool = True) -> dict[str, object]:
    return {"model": model, "stream": stream, "messages": [{"role": "user", "content": text}]}


async def httpx_stream(client: httpx.AsyncClient, text: str) -> float:
    """Stream one completion to its ``[DONE]`` line and return how long it took.

    The body is read to its end (the chunk after ``[DONE]``), so the connection goes back to
    the pool; breaking out at ``[DONE]`` would make httpx close it.
    """
    started = time.perf_counter()
    done = False
    async with client.stream("POST", "/chat/completions", json=_chat(text)) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            done = done or line == "data: [DONE]"
    if not done:
        raise RuntimeError("stream ended without [DONE]")
    return time.perf_counter() - started


class RawConnection:
    """One keep-alive connection speaking just enough HTTP for this benchmark."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Wrap an open connection."""
        self.reader, self.writer = reader, writer

    async def stream(self, text: str) -> float:
        """Send one streamed completion and read to the end of its chunked body."""
        body = json.dumps(_chat(text)).encode()
        request = (b"POST /v1/chat/completions HTTP/1.1\r\nhost: sim\r\ncontent-type: "
                   b"application/json\r\ncontent-length: %d\r\n\r\n%b" % (len(body), body))
        started = time.perf_counter()
        self.writer.write(request)
        received = b""
        while not received.endswith(RAW_END):
            data = await self.reader.read(65536)
            if not data:
                raise RuntimeError("connection closed before [DONE]")
            received += data
        return time.perf_counter() - started


async def _open_httpx(base_url: str, count: int) -> tuple[list[Callable[[str], Awaitable[float]]],
                                                         Callable[[], Awaitable[object]]]:
    context = ssl.create_default_context()  # shared: one per client costs ~20 ms each
    clients = [httpx.AsyncClient(base_url=base_url, verify=context, timeout=60.0)
               for _ in range(count)]
    warm_up = _chat("hi", model="sim:ttft=0,tokens=1", stream=False)
    await asyncio.gather(*(c.post("/chat/completions", json=warm_up) for c in clients))

    async def close() -> None:
        await asyncio.gather(*(c.aclose() for c in clients))

    return [functools.partial(httpx_stream, c) for c in clients], close


async def _open_raw(base_url: str, count: int) -> tuple[list[Callable[[str], Awaitable[float]]],
                                                       Callable[[], Awaitable[object]]]:
    port = int(base_url.rsplit(":", 1)[1].split("/", 1)[0])
    connections = [RawConnection(*await asyncio.open_connection("127.0.0.1", port))
                   for _ in range(count)]

    async def close() -> None:
        for connection in connections:
            connection.writer.close()

    return [c.stream for c in connections], close


async def _client_rounds(kind: str, base_url: str, count: int, rounds: int,
                         barrier: Barrier) -> Results:
    opener = _open_raw if kind == "raw" else _open_httpx
    streams, close = await opener(base_url, count)
    gc.collect()
    gc.freeze()  # the clients live for the whole run: keep the collector off them
    try:
        results = []
        for _ in range(rounds):
            await asyncio.to_thread(barrier.wait)
            cpu = time.process_time()
            durations = await asyncio.gather(*(
                stream(f"Stream number {i}") for i, stream in enumerate(streams)))
            results.append((list(durations), time.process_time() - cpu))
            await asyncio.to_thread(barrier.wait)
        return results
    finally:
        await close()


def client_process(kind: str, base_url: str, count: int, rounds: int, barrier: Barrier,
                   results: Queue[Results]) -> None:
    """Body of one client process: run its streams in every round, then report."""
    results.put(asyncio.run(_client_rounds(kind, base_url, count, rounds, barrier)))


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by a process, where /proc exists."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def single_stream(base_url: str) -> float:
    """Median duration of five httpx streams run one at a time."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as client:
        return statistics.median([await httpx_stream(client, "alone") for _ in range(5)])


def run_rounds(sim: SimulatorProcess, args: argparse.Namespace) -> list[RoundResult]:
    """Start the client processes and time ``args.rounds`` rounds of concurrent streams."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(args.clients + 1)
    queue: Queue[Results] = context.Queue()
    shares = [args.streams // args.clients + (i < args.streams % args.clients)
              for i in range(args.clients)]
    workers = [context.Process(target=client_process, args=(
        args.client, sim.base_url, share, args.rounds, barrier, queue)) for share in shares]
    for worker in workers:
        worker.start()
    server_cpu: list[float | None] = []
    for _ in range(args.rounds):
        barrier.wait(timeout=120)  # the round starts
        before = process_cpu(sim.pid)
        barrier.wait(timeout=120)  # every client process is done
        after = process_cpu(sim.pid)
        server_cpu.append(None if before is None or after is None else after - before)
    per_worker = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    return [RoundResult(durations=[d for w in per_worker for d in w[r][0]],
                        client_cpu=[w[r][1] for w in per_worker], server_cpu=server_cpu[r])
            for r in range(args.rounds)]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--client", choices=("httpx", "raw"), default="httpx")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with SimulatorProcess(CONFIG) as sim:
        print(f"simulator process {sim.pid} at {sim.base_url}; {os.cpu_count()} CPUs; "
              f"{args.streams} streams from {args.clients} {args.client} client process(es)")
        single = asyncio.run(single_stream(sim.base_url))
        print(f"single stream: {single:.3f} s (schedule: {IDEAL:.3f} s)")
        for number, result in enumerate(run_rounds(sim, args), start=1):
            print(result.report(f"round {number}", single))
        counters = sim.fetch_stats()
        print(f"server: max_in_flight {counters['max_in_flight']}, streams_completed "
              f"{counters['streams_completed']}, max_lateness "
              f"{counters['max_lateness'] * 1000:.1f} ms (how late any token went out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
