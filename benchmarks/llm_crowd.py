"""Many crews at once on one loop, per HTTP transport, ratios from one run (issue 13).

Run: `uv run python benchmarks/llm_crowd.py [--counts 200,1000] [--transports httpx,asyncio]`

For each transport of the native OpenAI-protocol client (`CREWDESK_HTTP_CLIENT=httpx|asyncio`,
read per call, so both are measured in this one process against the same simulator process:
0.5 s to first token, 20 tokens at 200 tokens/s), printed:
- one crew's wall time (best of 3) and N crews at once with `akickoff`, wall over one crew;
- the lateness of a 5 ms sleeper on the loop meanwhile (max, p99);
- the engine's CPU for those N crews (process time);
- the floor: the same number of bare streams through `_http_lite` (no crew, no engine), so
  what the simulator and the socket reads alone cost is seen beside the crews;
- the per-provider limit is raised to the largest N with `LLM(max_concurrency=...)`, as a
  benchmark may; the default (256) stays the user's guard.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Any

from engine_concurrency import LagProbe, timed

from desktop_app.engine import LLM, Agent, Crew, Task, _http_lite
from desktop_app.simulator import SimulatorConfig, SimulatorProcess

TTFT, TOKENS, TPS = 0.5, 20, 200.0


def make_crew(base_url: str, limit: int) -> Crew:
    """A one-task crew on the simulator whose LLM allows `limit` requests at once."""
    llm = LLM(model="openai/sim", base_url=base_url, api_key="sk-bench", max_retries=0,
              max_concurrency=limit)
    agent = Agent(role="Analyst", goal="Answer", backstory="Quick.", llm=llm)
    return Crew(tasks=[Task(description="Summarise {topic}", expected_output="text", agent=agent)])


async def crowd(crew: Crew, count: int, one: float) -> dict[str, Any]:
    """N crews at once: wall over one crew, loop lag, CPU."""
    cpu = time.process_time()
    with LagProbe() as probe:
        wall = await timed(
            lambda: asyncio.gather(*(crew.akickoff({"topic": str(i)}) for i in range(count)))
        )
    return {
        "all_s": round(wall, 3),
        "ratio": round(wall / one, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "loop_lag": probe.summary(),
    }


async def floor(base_url: str, count: int) -> float:
    """Wall of `count` bare streams at once (no crew, no engine): what the simulator and the
    HTTP client alone take, through `_http_lite` with `json.loads` per line."""

    async def one() -> int:
        response = await _http_lite.post_stream(f"{base_url}/chat/completions", BODY, {}, 60.0)
        chunks = 0
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                json.loads(line[6:])
                chunks += 1
        await response.aclose()
        return chunks

    return await timed(lambda: asyncio.gather(*(one() for _ in range(count))))


BODY = json.dumps({"model": "sim", "stream": True, "stream_options": {"include_usage": True},
                   "messages": [{"role": "user", "content": "Summarise x"}]}).encode()


async def floor_report(base_url: str, counts: list[int]) -> dict[str, Any]:
    """One bare stream's wall and `count` of them at once, for each count."""
    await floor(base_url, 1)
    one = min([await floor(base_url, 1) for _ in range(3)])
    report: dict[str, Any] = {"one_stream_s": round(one, 3)}
    for count in counts:
        wall = await floor(base_url, count)
        report[str(count)] = {"all_s": round(wall, 3), "ratio": round(wall / one, 2)}
    return report


async def transport_report(base_url: str, counts: list[int]) -> dict[str, Any]:
    """Every figure for the transport set in the environment."""
    crew = make_crew(base_url, max(counts))
    await crew.akickoff({"topic": "warm"})
    one = min([await timed(lambda: crew.akickoff({"topic": "one"})) for _ in range(3)])
    report: dict[str, Any] = {"one_crew_s": round(one, 3)}
    for count in counts:
        report[str(count)] = await crowd(crew, count, one)
    return report


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    counts = [int(c) for c in args.counts.split(",")]
    config = SimulatorConfig(ttft=TTFT, tokens_per_second=TPS, tokens=TOKENS)
    report: dict[str, Any] = {"load_average": os.getloadavg()[0]}
    with SimulatorProcess(config) as sim:
        for _ in range(args.repeats):
            for transport in args.transports.split(","):
                os.environ["CREWDESK_HTTP_CLIENT"] = transport
                report.setdefault(transport, []).append(
                    await transport_report(sim.base_url, counts))
            report.setdefault("floor", []).append(await floor_report(sim.base_url, counts))
    report["load_average_after"] = os.getloadavg()[0]
    return report


def main() -> None:
    """Parses the options, runs, prints JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="200,1000", help="crews at once, comma-separated")
    parser.add_argument("--transports", default="httpx,asyncio", help="comma-separated")
    parser.add_argument("--repeats", type=int, default=1, help="rounds over the transports")
    print(json.dumps(asyncio.run(main_async(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
