"""Faults from providers x run modes: what each run ends with, through the real engine.

Run: `uv run python benchmarks/reliability_faults.py` (about 30 s).

Each fault is a setting of the local simulator (see `desktop_app.simulator`), sent through
litellm over HTTP. Each cell runs one streaming crew on the faulty model in one mode
(`akickoff`, `kickoff_async`, `akickoff_for_each` over two inputs) on a fresh simulator (so
`fail_times` counts from zero) beside a healthy crew
started at the same time, and prints: the outcome (ok, or the error's kind and message), the
characters of partial output the stream kept before the error, and whether the healthy crew
finished (it must, in every cell). Then 200 crews at once on a rate-limited provider, with
three per-provider concurrency limits: the most requests the provider saw at once. `reqs` counts the faulty crew's requests (retries
included; two per try for the for-each mode). Retries: 3, back-off from 0.05 s; time-out 1 s.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass

from desktop_app.engine import LLM, Agent, Crew, LLMError, Task, TaskExecutionError
from desktop_app.simulator import Simulator, SimulatorConfig

FAULTS: list[tuple[str, str]] = [
    ("401 bad key", "status=401"),
    ("429 Retry-After 0.2, twice", "status=429,retry_after=0.2,fail_times=2"),
    ("429 no Retry-After, twice", "status=429,fail_times=2"),
    ("429 always", "status=429,retry_after=0.1"),
    ("500 always", "status=500"),
    ("503 once", "status=503,fail_times=1"),
    ("hang (time-out 1 s)", "hang=1"),
    ("drop after 5 chunks", "drop_after=5,tokens=40"),
    ("malformed SSE", "malformed=1"),
    ("1 MB answer", "bytes=1000000,tokens=50"),
]
MODES = ("akickoff", "kickoff_async", "akickoff_for_each")


@dataclass
class Cell:
    """What one fault in one mode ended with."""

    outcome: str
    requests: int
    partial_chars: int
    healthy_ok: bool
    seconds: float


def make_crew(base_url: str, settings: str, *, stream: bool = True) -> Crew:
    """A one-task streaming crew on the simulator, with `settings` as its model suffix."""
    model = "openai/sim" + (f":{settings}" if settings else "")
    llm = LLM(model=model, base_url=base_url, api_key="sk-bench", timeout=1.0,
              max_retries=3, retry_base_delay=0.05, retry_max_delay=1.0)
    agent = Agent(role="Analyst", goal="Answer", backstory="Quick.", llm=llm)
    return Crew(
        tasks=[Task(description="Summarise {topic}", expected_output="text", agent=agent,
                    name="Summary")],
        stream=stream,
    )


def describe(exc: BaseException) -> str:
    """The error's kind and message, as a panel would show them."""
    cause = exc.cause if isinstance(exc, TaskExecutionError) else exc
    kind = cause.kind if isinstance(cause, LLMError) else type(cause).__name__
    text = str(exc)
    return f"{kind}: {text[:110]}{'...' if len(text) > 110 else ''}"


async def run_cell(settings: str, mode: str) -> Cell:
    """Runs the faulty crew in `mode` beside a healthy crew, on a fresh simulator."""
    async with Simulator(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as sim:
        cell = await _run_cell(sim.base_url, settings, mode)
        cell.requests = sim.stats.requests_total - 1  # less the healthy crew's one
    return cell


async def _run_cell(base_url: str, settings: str, mode: str) -> Cell:
    crew = make_crew(base_url, settings)
    healthy = asyncio.ensure_future(make_crew(base_url, "tokens=30", stream=False).akickoff(
        {"topic": "healthy"}))
    start = time.perf_counter()
    if mode == "akickoff_for_each":
        out = await crew.akickoff_for_each([{"topic": "a"}, {"topic": "b"}])
    else:
        out = await getattr(crew, mode)({"topic": "a"})
    try:
        async for _chunk in out:
            pass
        values = out.results
        outcome = f"ok ({sum(len(v.raw) for v in values):,} chars)"
    except Exception as exc:  # noqa: BLE001 - the outcome is what we report
        outcome = describe(exc)
    seconds = time.perf_counter() - start
    partial = len(out.get_full_text()) if not outcome.startswith("ok") else 0
    try:
        healthy_ok = (await healthy).raw.startswith("Answer to:")
    except Exception:  # noqa: BLE001
        healthy_ok = False
    return Cell(outcome, 0, partial, healthy_ok, seconds)


async def main() -> int:
    """Runs the matrix and prints it; exit status 1 if a healthy crew failed."""
    failures = 0
    await run_cell("tokens=3", "akickoff")  # warm-up: litellm's import and first call
    print(f"{'fault':<27} {'mode':<17} {'s':>5} {'reqs':>4} {'partial':>7} {'other':>5}  outcome")
    for label, settings in FAULTS:
        for mode in MODES:
            cell = await run_cell(settings, mode)
            failures += not cell.healthy_ok
            print(f"{label:<27} {mode:<17} {cell.seconds:5.2f} {cell.requests:>4} "
                  f"{cell.partial_chars:>7,} {'ok' if cell.healthy_ok else 'FAIL':>5}  "
                  f"{cell.outcome}", flush=True)
    print(f"\ncells: {len(FAULTS) * len(MODES)}, healthy crews that failed beside a fault: "
          f"{failures}")
    print("\n200 crews at once on 'status=429,retry_after=0.2,fail_times=100' (max_retries=8):")
    for limit in (16, 64, 1000):
        line = await storm(limit)
        print(f"  max_concurrency={limit:<5} {line}", flush=True)
    return 1 if failures else 0


async def storm(limit: int) -> str:
    """200 crews on a rate-limited provider: how many requests the provider saw at once."""
    async with Simulator(SimulatorConfig(ttft=0.05, tokens_per_second=400.0)) as sim:
        llm = LLM(model="openai/sim:status=429,retry_after=0.2,fail_times=100,tokens=20",
                  base_url=sim.base_url, api_key="sk-bench", max_retries=8,
                  max_concurrency=limit)
        agent = Agent(role="Analyst", goal="Answer", backstory="Quick.", llm=llm)
        crew = Crew(tasks=[Task(description="Summarise {topic}", expected_output="text",
                                agent=agent)])
        start = time.perf_counter()
        results = await asyncio.gather(
            *(crew.akickoff({"topic": str(i)}) for i in range(200)), return_exceptions=True
        )
        ok = sum(not isinstance(r, BaseException) for r in results)
        return (f"max in flight {sim.stats.max_in_flight:>3}, requests "
                f"{sim.stats.requests_total}, succeeded {ok}/200, "
                f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
