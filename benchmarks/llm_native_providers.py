"""The native Anthropic and Gemini clients against the litellm path, ratios from one run.

Run: `uv run python benchmarks/llm_native_providers.py [--quick]`

Both clients talk to the same simulator (its own process), which speaks Anthropic's
`/v1/messages` and Gemini's `:streamGenerateContent`; the client is switched with
`CREWDESK_LLM_CLIENT=native|litellm`. Printed per provider (`anthropic/`, `gemini/`, and
`openai/` as the reference measured in the same run), for each client and as native/litellm
ratios:
- a fresh process that imports the engine and runs one one-task crew (wall, median of 3),
  next to a fresh process that makes the same streamed request with plain httpx;
- CPU per streamed call (`LLM.acall`, 20 chunks), next to plain httpx + json on the same stream;
- 200 streamed crews at once with `akickoff`: wall over one crew.
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
from engine_concurrency import timed

from desktop_app.engine import LLM, Agent, Crew, Task
from desktop_app.engine.llm import load_litellm, load_native
from desktop_app.simulator import SimulatorConfig, SimulatorProcess

CLIENTS = ("native", "litellm")
FAST = "ttft=0,tps=100000"
PROVIDERS = ("openai", "anthropic", "gemini")
"""`openai/` is the reference: the OpenAI-protocol native client, measured in the same run."""

FIRST_CREW = textwrap.dedent("""
    import asyncio, sys
    from desktop_app.engine import LLM, Agent, Crew, Task
    base = sys.argv[1] + ("/v1" if sys.argv[2] == "openai" else "")
    llm = LLM(model=sys.argv[2] + "/sim:{fast},tokens=20", base_url=base, api_key="sk-bench")
    agent = Agent(role="Analyst", goal="Answer", backstory="Quick.", llm=llm)
    crew = Crew(tasks=[Task(description="Summarise x", expected_output="text", agent=agent)])
    assert asyncio.run(crew.akickoff()).raw
""").format(fast=FAST)

PLAIN_REQUEST = textwrap.dedent("""
    import sys, httpx
    root, provider = sys.argv[1], sys.argv[2]
    model = "sim:{fast},tokens=20"
    text = [{{"role": "user", "content": "Summarise x"}}]
    if provider == "anthropic":
        url, body = root + "/v1/messages", {{"model": model, "max_tokens": 100,
                                            "stream": True, "messages": text}}
    elif provider == "openai":
        url, body = root + "/v1/chat/completions", {{"model": model, "stream": True,
                                                    "messages": text}}
    else:
        url = root + "/v1beta/models/" + model + ":streamGenerateContent?alt=sse"
        body = {{"contents": [{{"role": "user", "parts": [{{"text": "Summarise x"}}]}}]}}
    with httpx.stream("POST", url, json=body) as response:
        assert sum(1 for line in response.iter_lines() if line.startswith("data:")) >= 20
""").format(fast=FAST)


def _base(root_url: str, provider: str) -> str:
    """The base URL an LLM of `provider` is given (OpenAI's includes `/v1`)."""
    return f"{root_url}/v1" if provider == "openai" else root_url


def fresh_process(code: str, root_url: str, provider: str, client: str, runs: int) -> float:
    """Median wall time of a fresh interpreter running `code` (seconds)."""
    env = {**os.environ, "CREWDESK_LLM_CLIENT": client}
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code, root_url, provider], env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{provider} ({client}) failed:\n{done.stderr[-2000:]}")
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def first_crew(root_url: str, provider: str, runs: int) -> dict[str, Any]:
    plain = fresh_process(PLAIN_REQUEST, root_url, provider, "auto", runs)
    out: dict[str, Any] = {"plain_httpx_s": round(plain, 2)}
    for client in CLIENTS:
        wall = fresh_process(FIRST_CREW, root_url, provider, client, runs)
        out[client] = {"wall_s": round(wall, 2), "vs_plain_httpx": round(wall / plain, 1)}
    out["native_over_litellm"] = round(out["native"]["wall_s"] / out["litellm"]["wall_s"], 3)
    return out


async def cpu_per_call(root_url: str, provider: str, runs: int) -> dict[str, Any]:
    messages = [{"role": "user", "content": "Summarise cpu"}]
    out: dict[str, Any] = {}
    for client in CLIENTS:
        os.environ["CREWDESK_LLM_CLIENT"] = client
        llm = LLM(model=f"{provider}/sim:{FAST},tokens=20", base_url=_base(root_url, provider),
                  api_key="sk-bench", max_retries=0)
        for _ in range(5):
            await llm.acall(messages)
        start = time.process_time()
        for _ in range(runs):
            await llm.acall(messages)
        out[f"{client}_ms"] = round((time.process_time() - start) / runs * 1000, 3)
    out["plain_httpx_json_ms"] = round(await plain_cpu(root_url, provider, runs), 3)
    out["native_over_litellm"] = round(out["native_ms"] / out["litellm_ms"], 3)
    out["native_over_plain"] = round(out["native_ms"] / out["plain_httpx_json_ms"], 2)
    return out


async def plain_cpu(root_url: str, provider: str, runs: int) -> float:
    model = f"sim:{FAST},tokens=20"
    text = [{"role": "user", "content": "Summarise cpu"}]
    if provider == "anthropic":
        url = "/v1/messages"
        body: dict[str, Any] = {"model": model, "max_tokens": 100, "stream": True,
                                "messages": text}
    elif provider == "openai":
        url = "/v1/chat/completions"
        body = {"model": model, "stream": True, "messages": text,
                "stream_options": {"include_usage": True}}
    else:
        url = f"/v1beta/models/{model}:streamGenerateContent?alt=sse"
        body = {"contents": [{"role": "user", "parts": [{"text": "Summarise cpu"}]}]}
    async with httpx.AsyncClient(base_url=root_url) as client:

        async def one() -> None:
            async with client.stream("POST", url, json=body) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data:") and line != "data: [DONE]":
                        json.loads(line[5:])

        for _ in range(5):
            await one()
        start = time.process_time()
        for _ in range(runs):
            await one()
        return (time.process_time() - start) / runs * 1000


def _crew(root_url: str, provider: str) -> Crew:
    llm = LLM(model=f"{provider}/sim", base_url=_base(root_url, provider), api_key="sk-bench",
              max_retries=0)
    agent = Agent(role="Analyst", goal="Answer", backstory="Quick.", llm=llm)
    return Crew(tasks=[Task(description="Summarise {topic}", expected_output="t", agent=agent)])


async def many_crews(root_url: str, provider: str, count: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for client in CLIENTS:
        os.environ["CREWDESK_LLM_CLIENT"] = client
        crew = _crew(root_url, provider)
        one = min([await timed(lambda crew=crew: crew.akickoff({"topic": "one"}))
                   for _ in range(3)])
        wall = await timed(lambda crew=crew: asyncio.gather(
            *(crew.akickoff({"topic": str(i)}) for i in range(count))))
        out[client] = {"one_crew_s": round(one, 3), "all_s": round(wall, 3),
                       "vs_one_crew": round(wall / one, 2)}
    out["native_over_litellm_wall"] = round(out["native"]["all_s"] / out["litellm"]["all_s"], 3)
    return out


async def main_async(quick: bool) -> dict[str, Any]:
    await asyncio.to_thread(load_litellm)
    for protocol in ("anthropic", "gemini"):
        await asyncio.to_thread(load_native, protocol)
    runs = 50 if quick else 200
    config = SimulatorConfig(ttft=0.5, tokens_per_second=200.0, tokens=20)
    report: dict[str, Any] = {}
    with SimulatorProcess(config) as sim:
        for provider in PROVIDERS:
            report[provider] = {
                "first_crew_fresh_process": first_crew(sim.root_url, provider, 2 if quick else 3),
                "cpu_per_call_20_chunks": await cpu_per_call(sim.root_url, provider, runs),
                "akickoff_200": await many_crews(sim.root_url, provider, 200),
            }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    print(json.dumps(asyncio.run(main_async(parser.parse_args().quick)), indent=2))


if __name__ == "__main__":
    main()
