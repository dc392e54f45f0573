"""Engine speed: many crews at once, event-loop lag, CPU per crew, import time, memory.

Run: `uv run python benchmarks/engine_concurrency.py [--route openai|hosted_vllm] [--one-route] [--quick]`

Both litellm routes to the simulator are reported, the headline one (`--route`, default
`openai`: litellm builds the request with the openai SDK) first, then `hosted_vllm` (litellm's
own httpx handler). The full run (with 1,000 crews) takes about 2-3 minutes.
Since issue 13 both routes go to the native OpenAI-protocol client by default; run with
`CREWDESK_LLM_CLIENT=litellm` for litellm's figures (`llm_native.py` compares the two).

The simulator runs in its own process (its own CPU), as a provider would. Each figure is a
ratio or percentile from this one run, so it does not depend on how fast the machine is:
- wall time of N crews at once with `akickoff` over one crew's wall time;
- lateness of a 5 ms sleeper on the loop while 200 crews stream (max, p99);
- CPU per streamed crew over plain httpx + json reading the same stream;
- `kickoff_async` with 50 crews (it runs `kickoff` in the default thread pool);
- `import desktop_app.engine` in a fresh interpreter (median of 5);
- peak RSS while 200 crews are in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from desktop_app.engine import LLM, Agent, Crew, Task
from desktop_app.engine.llm import load_litellm
from desktop_app.simulator import SimulatorConfig, SimulatorProcess

TTFT, TOKENS, TPS = 0.5, 20, 200.0


def make_crew(base_url: str, route: str, settings: str = "") -> Crew:
    model = f"{route}/sim" + (f":{settings}" if settings else "")
    llm = LLM(model=model, base_url=base_url, api_key="sk-bench", max_retries=0)
    agent = Agent(role="Analyst", goal="Answer", backstory="Quick.", llm=llm)
    return Crew(tasks=[Task(description="Summarise {topic}", expected_output="text", agent=agent)])


class LagProbe:
    """Measures how late a 5 ms sleeper wakes up while work runs on the loop."""

    def __init__(self) -> None:
        self.lateness_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            self.lateness_ms.append((time.perf_counter() - start - 0.005) * 1000)

    def __enter__(self) -> LagProbe:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()

    def summary(self) -> dict[str, float]:
        data = sorted(self.lateness_ms) or [0.0]
        return {
            "max_ms": round(data[-1], 1),
            "p99_ms": round(data[int(len(data) * 0.99) - 1 if len(data) > 1 else 0], 1),
            "p50_ms": round(statistics.median(data), 2),
        }


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def timed(coro_factory: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await coro_factory()
    return time.perf_counter() - start


async def many_at_once(base_url: str, route: str, count: int) -> dict[str, Any]:
    crew = make_crew(base_url, route)
    one = min([await timed(lambda: crew.akickoff({"topic": "one"})) for _ in range(3)])
    peak = [rss_mb()]

    async def sample_rss() -> None:
        while True:
            peak.append(rss_mb())
            await asyncio.sleep(0.05)

    sampler = asyncio.get_running_loop().create_task(sample_rss())
    with LagProbe() as probe:
        wall = await timed(
            lambda: asyncio.gather(*(crew.akickoff({"topic": str(i)}) for i in range(count)))
        )
    sampler.cancel()
    return {
        "crews": count,
        "one_crew_s": round(one, 3),
        "all_s": round(wall, 3),
        "ratio": round(wall / one, 2),
        "loop_lag": probe.summary(),
        "peak_rss_mb": round(max(peak), 1),
    }


async def cpu_per_crew(base_url: str, route: str, runs: int) -> dict[str, Any]:
    settings = f"ttft=0,tps=100000,tokens={TOKENS}"
    crew = make_crew(base_url, route, settings)
    for _ in range(5):
        await crew.akickoff({"topic": "warm"})
    start = time.process_time()
    for _ in range(runs):
        await crew.akickoff({"topic": "cpu"})
    engine_ms = (time.process_time() - start) / runs * 1000

    body = {"model": f"sim:{settings}", "stream": True,
            "messages": [{"role": "user", "content": "Summarise cpu"}],
            "stream_options": {"include_usage": True}}
    async with httpx.AsyncClient(base_url=base_url) as client:

        async def plain() -> str:
            parts = []
            async with client.stream("POST", "/chat/completions", json=body) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data: ") and line != "data: [DONE]":
                        choices = json.loads(line[6:])["choices"]
                        if choices and choices[0]["delta"].get("content"):
                            parts.append(choices[0]["delta"]["content"])
            return "".join(parts)

        for _ in range(5):
            await plain()
        start = time.process_time()
        for _ in range(runs):
            await plain()
        plain_ms = (time.process_time() - start) / runs * 1000
    return {
        "engine_ms": round(engine_ms, 2),
        "httpx_json_ms": round(plain_ms, 2),
        "ratio": round(engine_ms / plain_ms, 2),
    }


async def threaded(base_url: str, route: str, count: int) -> dict[str, Any]:
    crew = make_crew(base_url, route)
    one = await timed(lambda: crew.kickoff_async({"topic": "one"}))
    wall = await timed(
        lambda: asyncio.gather(*(crew.kickoff_async({"topic": str(i)}) for i in range(count)))
    )
    return {
        "crews": count,
        "one_crew_s": round(one, 3),
        "all_s": round(wall, 3),
        "ratio": round(wall / one, 2),
        "thread_pool": f"asyncio default executor, max_workers={min(32, (os.cpu_count() or 1) + 4)}",
    }


def import_time(runs: int = 5) -> dict[str, Any]:
    code = "import time; t = time.perf_counter(); import desktop_app.engine; print(time.perf_counter() - t)"
    samples = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(runs)
    ]
    return {"median_s": round(statistics.median(samples), 3), "max_s": round(max(samples), 3)}


async def route_report(base_url: str, route: str, quick: bool) -> dict[str, Any]:
    """Every in-process figure for one litellm route to the simulator."""
    report: dict[str, Any] = {"cpu_per_crew": await cpu_per_crew(base_url, route, 50 if quick else 200)}
    report["akickoff_200"] = await many_at_once(base_url, route, 200)
    if not quick:
        report["akickoff_1000"] = await many_at_once(base_url, route, 1000)
    report["kickoff_async_50"] = await threaded(base_url, route, 50)
    return report


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    await asyncio.to_thread(load_litellm)
    routes = [args.route] + [r for r in ROUTES if r != args.route and not args.one_route]
    config = SimulatorConfig(ttft=TTFT, tokens_per_second=TPS, tokens=TOKENS)
    with SimulatorProcess(config) as sim:
        report: dict[str, Any] = {"route": args.route, "simulator": sim.base_url, "routes": {}}
        for route in routes:
            report["routes"][route] = await route_report(sim.base_url, route, args.quick)
        report["simulator_max_in_flight"] = sim.fetch_stats().get("max_in_flight")
    report["import_engine"] = import_time()
    report["peak_rss_process_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return report


ROUTES = ("openai", "hosted_vllm")
"""litellm routes to the simulator: through the openai SDK, and through litellm's own handler."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--route", default="openai", choices=ROUTES,
                        help="headline litellm route (the other one is reported after it)")
    parser.add_argument("--one-route", action="store_true", help="report the headline route only")
    parser.add_argument("--quick", action="store_true", help="skip the 1,000-crew run")
    report = asyncio.run(main_async(parser.parse_args()))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
