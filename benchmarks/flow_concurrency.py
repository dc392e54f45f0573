"""Flows at once on one loop: wall time against one flow, and event-loop lag (issue 15).

Run: `uv run python benchmarks/flow_concurrency.py [--flows 100] [--sync]`

Each flow has 5 steps in a chain (`@start` then four `@listen`), each step a one-task crew
(`await crew.akickoff()`; with `--sync`, sync steps calling `crew.kickoff()` in worker
threads). The simulator runs in its own process, as a provider would. Figures are ratios
from this one run: N flows at once over one flow's wall time (target <= 1.5x), and how late a
5 ms sleeper on the loop wakes up meanwhile (target: max <= 50 ms); and, for comparison, the
same crews as plain chains of `akickoff` calls with no flow around them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_concurrency import LagProbe, make_crew  # noqa: E402 - the benchmarks' own helpers

from desktop_app.engine import Crew  # noqa: E402
from desktop_app.engine.flow import Flow, listen, start  # noqa: E402
from desktop_app.simulator import SimulatorConfig, SimulatorProcess  # noqa: E402

TTFT, TOKENS, TPS = 0.5, 20, 200.0


class FiveSteps(Flow[dict[str, Any]]):
    """Five chained steps, each a one-task crew, async on the loop."""

    crew: Crew | None = None

    async def _step(self, name: str) -> str:
        assert self.crew is not None
        out = await self.crew.akickoff({"topic": name})
        self.state[name] = len(out.raw)
        return str(out.raw)

    @start()
    async def one(self) -> str:
        return await self._step("one")

    @listen(one)
    async def two(self) -> str:
        return await self._step("two")

    @listen(two)
    async def three(self) -> str:
        return await self._step("three")

    @listen(three)
    async def four(self) -> str:
        return await self._step("four")

    @listen(four)
    async def five(self) -> str:
        return await self._step("five")


class FiveSyncSteps(Flow[dict[str, Any]]):
    """The same with sync steps: `crew.kickoff()` in worker threads."""

    crew: Crew | None = None

    def _step(self, name: str) -> str:
        assert self.crew is not None
        return str(self.crew.kickoff({"topic": name}).raw)

    @start()
    def one(self) -> str:
        return self._step("one")

    @listen(one)
    def two(self) -> str:
        return self._step("two")

    @listen(two)
    def three(self) -> str:
        return self._step("three")

    @listen(three)
    def four(self) -> str:
        return self._step("four")

    @listen(four)
    def five(self) -> str:
        return self._step("five")


async def measure(base_url: str, count: int, sync: bool) -> dict[str, Any]:
    kind = FiveSyncSteps if sync else FiveSteps
    crew = make_crew(base_url, "openai")

    async def one_flow() -> None:
        await kind(crew=crew).akickoff()

    single = []
    for _ in range(3):
        started = time.perf_counter()
        await one_flow()
        single.append(time.perf_counter() - started)
    with LagProbe() as probe:
        started = time.perf_counter()
        await asyncio.gather(*(one_flow() for _ in range(count)))
        wall = time.perf_counter() - started
    one = min(single)
    return {"flows": count, "steps": 5, "style": "sync" if sync else "async",
            "one_flow_s": round(one, 3), "all_s": round(wall, 3), "ratio": round(wall / one, 2),
            "loop_lag": probe.summary(), "without_flows": await chains(crew, count)}


async def chains(crew: Crew, count: int) -> dict[str, Any]:
    """The same crews with no flow around them: `count` chains of 5 `akickoff` calls."""
    async def chain() -> None:
        for name in ("one", "two", "three", "four", "five"):
            await crew.akickoff({"topic": name})

    started = time.perf_counter()
    await chain()
    one = time.perf_counter() - started
    with LagProbe() as probe:
        started = time.perf_counter()
        await asyncio.gather(*(chain() for _ in range(count)))
        wall = time.perf_counter() - started
    return {"one_chain_s": round(one, 3), "all_s": round(wall, 3),
            "ratio": round(wall / one, 2), "loop_lag": probe.summary()}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=100)
    parser.add_argument("--sync", action="store_true", help="sync steps calling kickoff()")
    args = parser.parse_args()
    config = SimulatorConfig(ttft=TTFT, tokens_per_second=TPS, tokens=TOKENS)
    with SimulatorProcess(config) as sim:
        report = await measure(sim.base_url, args.flows, args.sync)
        report["simulator_max_in_flight"] = sim.fetch_stats().get("max_in_flight")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
