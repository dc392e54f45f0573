"""The native OpenAI-protocol client against the litellm path, ratios from one run.

Run: `uv run python benchmarks/llm_native.py [--quick]`

Both clients talk to the same simulator (its own process), switched with
`CREWDESK_LLM_CLIENT=native|litellm`. Printed, for each client and as native/litellm ratios:
- a fresh process that imports the engine and runs one one-task crew (wall, median of 3),
  next to a fresh process that makes the same streamed request with plain httpx;
- CPU per streamed call (`LLM.acall`, 20 and 200 chunks), next to plain httpx + json;
- 200 streamed crews at once with `akickoff`: wall, and wall over one crew; loop lag.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from typing import Any

import httpx
from engine_concurrency import LagProbe, make_crew, timed

from desktop_app.engine import LLM
from desktop_app.engine.llm import load_litellm, load_native
from desktop_app.simulator import SimulatorConfig, SimulatorProcess

CLIENTS = ("native", "litellm")
FAST = "ttft=0,tps=100000"

FIRST_CREW = textwrap.dedent("""
    import asyncio, sys
    from desktop_app.engine import LLM, Agent, Crew, Task
    llm = LLM(model="openai/sim:{fast},tokens=20", base_url=sys.argv[1], api_key="sk-bench")
    agent = Agent(role="Analyst", goal="Answer", backstory="Quick.", llm=llm)
    crew = Crew(tasks=[Task(description="Summarise x", expected_output="text", agent=agent)])
    assert asyncio.run(crew.akickoff()).raw
""").format(fast=FAST)

PLAIN_REQUEST = textwrap.dedent("""
    import sys, httpx
    body = {{"model": "sim:{fast},tokens=20", "stream": True,
            "messages": [{{"role": "user", "content": "Summarise x"}}]}}
    with httpx.stream("POST", sys.argv[1] + "/chat/completions", json=body) as response:
        assert sum(1 for _ in response.iter_lines()) > 20
""").format(fast=FAST)


def fresh_process(code: str, base_url: str, client: str, runs: int) -> float:
    """Median wall time of a fresh interpreter running `code` (seconds)."""
    env = {**os.environ, "CREWDESK_LLM_CLIENT": client}
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, base_url], check=True, env=env,
                       capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def first_crew(base_url: str, runs: int) -> dict[str, Any]:
    plain = fresh_process(PLAIN_REQUEST, base_url, "auto", runs)
    out: dict[str, Any] = {"plain_httpx_s": round(plain, 2)}
    for client in CLIENTS:
        wall = fresh_process(FIRST_CREW, base_url, client, runs)
        out[client] = {"wall_s": round(wall, 2), "vs_plain_httpx": round(wall / plain, 1)}
    out["native_over_litellm"] = round(out["native"]["wall_s"] / out["litellm"]["wall_s"], 3)
    return out


async def cpu_per_call(base_url: str, tokens: int, runs: int) -> dict[str, Any]:
    model = f"openai/sim:{FAST},tokens={tokens}"
    messages = [{"role": "user", "content": "Summarise cpu"}]
    out: dict[str, Any] = {}
    for client in CLIENTS:
        os.environ["CREWDESK_LLM_CLIENT"] = client
        llm = LLM(model=model, base_url=base_url, api_key="sk-bench", max_retries=0)
        for _ in range(5):
            await llm.acall(messages)
        start = time.process_time()
        for _ in range(runs):
            await llm.acall(messages)
        out[f"{client}_ms"] = round((time.process_time() - start) / runs * 1000, 3)
    out["plain_httpx_json_ms"] = round(await plain_cpu(base_url, tokens, runs), 3)
    out["native_over_litellm"] = round(out["native_ms"] / out["litellm_ms"], 3)
    out["native_over_plain"] = round(out["native_ms"] / out["plain_httpx_json_ms"], 2)
    return out


async def plain_cpu(base_url: str, tokens: int, runs: int) -> float:
    body = {"model": f"sim:{FAST},tokens={tokens}", "stream": True,
            "messages": [{"role": "user", "content": "Summarise cpu"}],
            "stream_options": {"include_usage": True}}
    async with httpx.AsyncClient(base_url=base_url) as client:

        async def one() -> None:
            async with client.stream("POST", "/chat/completions", json=body) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data: ") and line != "data: [DONE]":
                        json.loads(line[6:])

        for _ in range(5):
            await one()
        start = time.process_time()
        for _ in range(runs):
            await one()
        return (time.process_time() - start) / runs * 1000


async def many_crews(base_url: str, count: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for client in CLIENTS:
        os.environ["CREWDESK_LLM_CLIENT"] = client
        crew = make_crew(base_url, "openai")
        one = min([await timed(lambda crew=crew: crew.akickoff({"topic": "one"}))
                   for _ in range(3)])
        with LagProbe() as probe:
            wall = await timed(lambda crew=crew: asyncio.gather(
                *(crew.akickoff({"topic": str(i)}) for i in range(count))))
        out[client] = {"one_crew_s": round(one, 3), "all_s": round(wall, 3),
                       "vs_one_crew": round(wall / one, 2), "loop_lag": probe.summary()}
    out["native_over_litellm_wall"] = round(out["native"]["all_s"] / out["litellm"]["all_s"], 3)
    return out


async def main_async(quick: bool) -> dict[str, Any]:
    await asyncio.to_thread(load_litellm)
    await asyncio.to_thread(load_native)
    runs = 50 if quick else 200
    config = SimulatorConfig(ttft=0.5, tokens_per_second=200.0, tokens=20)
    with SimulatorProcess(config) as sim:
        report: dict[str, Any] = {"first_crew_fresh_process": first_crew(sim.base_url,
                                                                          2 if quick else 3)}
        for tokens in (20, 200):
            report[f"cpu_per_call_{tokens}_chunks"] = await cpu_per_call(
                sim.base_url, tokens, runs if tokens == 20 else runs // 4)
        report["akickoff_200"] = await many_crews(sim.base_url, 200)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    print(json.dumps(asyncio.run(main_async(parser.parse_args().quick)), indent=2))


if __name__ == "__main__":
    main()
