"""Trace overhead: CPU per crew on the 200-crew benchmark with the trace on and off.

Run: `uv run python benchmarks/trace_overhead.py [--rounds 5] [--crews 200] [--tools]`

The crews of `engine_concurrency.py` (one agent, one task, 20 streamed tokens from the
simulator in its own process) run 200 at once, each read through `stream_events` as the app
reads a run, every event applied: text and spans go into a real `RunHistory` (buffered, with
its flusher running, as the app records runs), so the figure includes writing the spans to
SQLite. Rounds alternate trace on / trace off (`engine._trace.ENABLED`); the figure is the
median CPU time (all threads of this process) per crew, and the ratio on / off; also of the
user CPU alone (the kernel's time for the sockets varies most on a shared machine). As
these ratios move by ±10% between runs on a loaded machine, the cost of one span is also
measured alone (`span_cost`), and `span_cost_over_cpu_per_crew_off` is the steady figure:
the spans of one crew over the CPU of one crew without them. The same
crews run with `akickoff` (nobody listens, as `engine_concurrency.py` runs them) are
reported too: there a span is a no-op.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from desktop_app.engine import LLM, Agent, Crew, Task, _trace, tool
from desktop_app.engine._agent_loop import build_messages
from desktop_app.engine._run import RunState, TaskMeta, prepare_tasks
from desktop_app.simulator import SimulatorConfig, SimulatorProcess
from desktop_app.storage.history import HistoryDB, RunHistory

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


def user_cpu() -> float:
    """User CPU seconds of this process (all threads): the kernel's time for the sockets,
    which varies most on a shared machine, is left out."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_utime


async def round_cpu(
    crew: Crew, history: RunHistory, crews: int, traced: bool
) -> tuple[float, float, int]:
    """CPU ms per crew (user and kernel; user only) of `crews` runs at once, and the spans
    they sent."""
    _trace.ENABLED = traced
    start, start_user = time.process_time(), user_cpu()
    sent = await asyncio.gather(*(one_run(crew, history, str(i)) for i in range(crews)))
    await history.flush()
    total, user = time.process_time() - start, user_cpu() - start_user
    return total / crews * 1000, user / crews * 1000, sum(sent)


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


def span_cost_us(folder: Path, count: int = 10_000) -> dict[str, float]:
    """Microseconds per span, measured without the network's noise: in the engine (a
    `Span` around an LLM call with its masked messages, its `TraceSpan` sent to a
    listener) and in the history (buffered, then written by `flush`)."""
    _trace.ENABLED = True
    sent: list[Any] = []
    state = RunState(run_id="bench", emit=sent.append)
    meta = TaskMeta(run_id="bench", task_index=0, task_name=None, agent_role="Analyst")
    messages = build_messages(_prepared(), "")
    start = time.perf_counter()
    for _ in range(count):
        with _trace.Span(state, "llm", "openai/sim", meta) as span:
            span.detail = {"model": "openai/sim", "messages": _trace.masked_messages(messages),
                           "answer": "An answer of about twenty tokens. " * 3}
            span.input_tokens, span.output_tokens = 60, 20
    engine = (time.perf_counter() - start) / count * 1e6
    assert len(sent) == count, "every span was sent"
    with HistoryDB(folder / "spans.sqlite3") as db:
        run_id = db.start_run("bench")
        start = time.perf_counter()
        for event in sent:
            db.append_span(event, run_id)
        db.flush()
        storage = (time.perf_counter() - start) / count * 1e6
    return {"engine_us_per_span": round(engine, 1), "history_us_per_span": round(storage, 1)}


def _prepared() -> Any:
    """The benchmark crew's task as a run prepares it (for its real first messages)."""
    crew = make_crew("http://unused", False)
    return prepare_tasks(crew, {"topic": "cpu"})[0]


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    config = SimulatorConfig(ttft=TTFT, tokens_per_second=TPS, tokens=TOKENS)
    with SimulatorProcess(config) as sim, tempfile.TemporaryDirectory() as folder:
        crew = make_crew(sim.base_url, args.tools)
        async with RunHistory(Path(folder) / "history.sqlite3") as history:
            flusher = asyncio.ensure_future(history.run_autoflush(0.5))
            try:
                await round_cpu(crew, history, 20, True)  # warm up both paths
                await round_cpu(crew, history, 20, False)
                on, off, on_user, off_user, spans = [], [], [], [], 0
                for _ in range(args.rounds):
                    cpu, user, spans = await round_cpu(crew, history, args.crews, True)
                    on.append(cpu)
                    on_user.append(user)
                    cpu, user, _ = await round_cpu(crew, history, args.crews, False)
                    off.append(cpu)
                    off_user.append(user)
            finally:
                flusher.cancel()
                await asyncio.gather(flusher, return_exceptions=True)
        plain = await akickoff_report(crew, args.crews, args.rounds)
        per_span = span_cost_us(Path(folder))
    on_ms, off_ms = statistics.median(on), statistics.median(off)
    spans_per_crew = spans / args.crews
    cost_ms = spans_per_crew * (per_span["engine_us_per_span"] + per_span["history_us_per_span"])
    return {
        "span_cost": per_span,
        "span_cost_per_crew_ms": round(cost_ms / 1000, 3),
        "span_cost_over_cpu_per_crew_off": round(cost_ms / 1000 / statistics.median(off), 3),
        "crews_at_once": args.crews,
        "tool_call_per_crew": args.tools,
        "akickoff_no_listener": plain,
        "rounds": args.rounds,
        "spans_per_crew": spans_per_crew,
        "cpu_ms_per_crew_trace_on": round(on_ms, 2),
        "cpu_ms_per_crew_trace_off": round(off_ms, 2),
        "ratio_on_over_off": round(on_ms / off_ms, 3),
        "user_cpu_ms_per_crew_trace_on": round(statistics.median(on_user), 2),
        "user_cpu_ms_per_crew_trace_off": round(statistics.median(off_user), 2),
        "user_ratio_on_over_off": round(statistics.median(on_user) / statistics.median(off_user),
                                        3),
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
