"""Trace overhead: CPU per crew on the 200-crew benchmark with the trace on and off.

Run: `uv run python benchmarks/trace_overhead.py [--rounds 5] [--crews 200] [--tools]`

The crews of `engine_concurrency.py` (one agent, one task, 20 streamed tokens from the
simulator in its own process) run 200 at once, each read through `stream_events` as the app
reads a run, every event applied: text and spans go into a real `RunHistory` (buffered, with
its flusher running, as the app records runs), so the figure includes writing the spans to
SQLite. Rounds alternate trace on / trace off (`engine._trace.ENABLED`); the figure is the
median CPU time (all threads of this process) per crew, and the ratio on / off. The same
crews run with `akickoff` (nobody listens, as `engine_concurrency.py` runs them) are
reported too: there a span is a no-op.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from desktop_app.engine import LLM, Agent, Crew, Task, _trace, tool
from desktop_app.simulator import SimulatorConfig, SimulatorProcess
from desktop_app.storage.history import RunHistory

TTFT, TOKENS, TPS = 0.5, 20, 200.0


@tool
def lookup(topic: str) -> str:
    """Looks a topic up."""
    return f"facts on {topic}"


def make_crew(base_url: str, tools: bool) -> Crew:
    """The benchmark's crew; with `tools`, its agent calls `lookup` once (the simulator
    calls an offered tool, then answers): two LLM calls and a tool call per crew."""
    llm = LLM(model="openai/sim", base_url=base_url, api_key="sk-bench", max_retries=0)
    agent = Agent(role="Analyst", goal="Answer", backstory="Quick.", llm=llm,
                  tools=[lookup] if tools else [])
    return Crew(tasks=[Task(description="Summarise {topic}", expected_output="text", agent=agent)])


async def one_run(crew: Crew, history: RunHistory, topic: str) -> int:
    """Runs one crew, recording its text and spans; returns how many spans it sent."""
    run_id = await history.start_run("bench")
    spans = 0
    stream = crew.stream_events({"topic": topic})
    async for event in stream:
        if event.kind == "text":
            history.append_text(run_id, event.task_index, event.content)
        elif event.kind == "trace_span":
            history.append_span(event, run_id)
            spans += 1
    await history.finish_run(run_id, "finished")
    return spans


async def round_cpu(crew: Crew, history: RunHistory, crews: int, traced: bool) -> tuple[float, int]:
    """CPU ms per crew of `crews` runs at once, and the spans they sent."""
    _trace.ENABLED = traced
    start = time.process_time()
    sent = await asyncio.gather(*(one_run(crew, history, str(i)) for i in range(crews)))
    await history.flush()
    return (time.process_time() - start) / crews * 1000, sum(sent)


async def akickoff_cpu(crew: Crew, crews: int, traced: bool) -> float:
    """CPU ms per crew of `crews` `akickoff` runs at once (no listener: no span is made)."""
    _trace.ENABLED = traced
    start = time.process_time()
    await asyncio.gather(*(crew.akickoff({"topic": str(i)}) for i in range(crews)))
    return (time.process_time() - start) / crews * 1000


async def akickoff_report(crew: Crew, crews: int, rounds: int) -> dict[str, Any]:
    """`engine_concurrency.py`'s shape: `akickoff` with nobody listening, on and off."""
    on, off = [], []
    for _ in range(rounds):
        on.append(await akickoff_cpu(crew, crews, True))
        off.append(await akickoff_cpu(crew, crews, False))
    return {
        "cpu_ms_per_crew_trace_on": round(statistics.median(on), 2),
        "cpu_ms_per_crew_trace_off": round(statistics.median(off), 2),
        "ratio_on_over_off": round(statistics.median(on) / statistics.median(off), 3),
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    config = SimulatorConfig(ttft=TTFT, tokens_per_second=TPS, tokens=TOKENS)
    with SimulatorProcess(config) as sim, tempfile.TemporaryDirectory() as folder:
        crew = make_crew(sim.base_url, args.tools)
        async with RunHistory(Path(folder) / "history.sqlite3") as history:
            flusher = asyncio.ensure_future(history.run_autoflush(0.5))
            try:
                await round_cpu(crew, history, 20, True)  # warm up both paths
                await round_cpu(crew, history, 20, False)
                on, off, spans = [], [], 0
                for _ in range(args.rounds):
                    cpu, spans = await round_cpu(crew, history, args.crews, True)
                    on.append(cpu)
                    off.append((await round_cpu(crew, history, args.crews, False))[0])
            finally:
                flusher.cancel()
                await asyncio.gather(flusher, return_exceptions=True)
        plain = await akickoff_report(crew, args.crews, args.rounds)
    on_ms, off_ms = statistics.median(on), statistics.median(off)
    return {
        "crews_at_once": args.crews,
        "tool_call_per_crew": args.tools,
        "akickoff_no_listener": plain,
        "rounds": args.rounds,
        "spans_per_crew": spans / args.crews,
        "cpu_ms_per_crew_trace_on": round(on_ms, 2),
        "cpu_ms_per_crew_trace_off": round(off_ms, 2),
        "ratio_on_over_off": round(on_ms / off_ms, 3),
        "all_rounds_on": [round(x, 2) for x in on],
        "all_rounds_off": [round(x, 2) for x in off],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--crews", type=int, default=200)
    parser.add_argument("--tools", action="store_true", help="crews that call a tool once")
    print(json.dumps(asyncio.run(main_async(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
