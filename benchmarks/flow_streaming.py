"""Streamed flows (`Flow(stream=True)`) at once on one loop, against the same flows unstreamed.

Run: `uv run python benchmarks/flow_streaming.py [--flows 100]`

The flows are `flow_concurrency.FiveSteps` (5 chained steps, each a one-task crew awaited on
the loop); the simulator runs in its own process, as a provider would. Each streamed flow is
read to its end by its own task (`async for frame in await flow.akickoff()`). Figures are
ratios from this one run: N streamed flows at once over one streamed flow (target <= 1.5x, as
for flows), streamed over unstreamed for N at once (what the frames cost), and how late a 5 ms
sleeper on the loop wakes up meanwhile (target: max <= 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_concurrency import LagProbe, make_crew  # noqa: E402 - the benchmarks' own helpers
from flow_concurrency import FiveSteps  # noqa: E402

from desktop_app.engine import Crew  # noqa: E402
from desktop_app.simulator import SimulatorConfig, SimulatorProcess  # noqa: E402

TTFT, TOKENS, TPS = 0.5, 20, 200.0


async def _timed(count: int, one: Callable[[], Awaitable[int]]) -> tuple[float, int, Any]:
    """Wall time of `count` runs at once, the frames they read, and the loop's lag."""
    with LagProbe() as probe:
        started = time.perf_counter()
        frames = await asyncio.gather(*(one() for _ in range(count)))
        return time.perf_counter() - started, sum(frames), probe.summary()


async def measure(base_url: str, count: int) -> dict[str, Any]:
    crew: Crew = make_crew(base_url, "openai")

    async def streamed() -> int:
        session = await FiveSteps(crew=crew, stream=True).akickoff()
        return len([frame async for frame in session])

    async def plain() -> int:
        await FiveSteps(crew=crew).akickoff()
        return 0

    single = []
    for _ in range(3):
        started = time.perf_counter()
        per_flow = await streamed()
        single.append(time.perf_counter() - started)
    wall, frames, lag = await _timed(count, streamed)
    plain_wall, _, plain_lag = await _timed(count, plain)
    one = min(single)
    return {"flows": count, "steps": 5, "frames_per_flow": per_flow, "frames_read": frames,
            "one_streamed_flow_s": round(one, 3), "all_streamed_s": round(wall, 3),
            "ratio_all_over_one": round(wall / one, 2), "loop_lag_streamed": lag,
            "all_unstreamed_s": round(plain_wall, 3),
            "ratio_streamed_over_unstreamed": round(wall / plain_wall, 2),
            "loop_lag_unstreamed": plain_lag}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=100)
    args = parser.parse_args()
    config = SimulatorConfig(ttft=TTFT, tokens_per_second=TPS, tokens=TOKENS)
    with SimulatorProcess(config) as sim:
        report = await measure(sim.base_url, args.flows)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
