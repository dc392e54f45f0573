"""1,000 crews back to back through the engine and the run history: does anything leak?

Run: `uv run python benchmarks/reliability_soak.py [--crews 1000]` (about 1 minute).

Each crew streams (stream_events) on the simulator (in its own process) and is recorded in a
`RunHistory` as the dashboard's recorder does (start, text, finish), one after another, with a
code-running agent every tenth crew. Measured after a warm-up of 50 crews, at the middle and
at the end: RSS, asyncio tasks, threads, open file descriptors and sockets. Passes when RSS
grows at most 10% from the warm-up to the end and tasks, threads and descriptors do not grow.
The desktop app's run controller is not in this loop (that soak is the app's to run).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import threading
from pathlib import Path

from desktop_app.engine import LLM, Agent, Crew, Task
from desktop_app.engine.events import RunFinished, TextDelta
from desktop_app.simulator import SimulatorConfig, SimulatorProcess
from desktop_app.storage.history import RunHistory


def counts() -> dict[str, float]:
    """RSS (MB), asyncio tasks, threads, open descriptors and sockets of this process."""
    gc.collect()
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # the descriptor listdir itself used, closed since
            continue
    fds = targets
    sockets = sum(1 for target in targets if target.startswith("socket:"))
    with open("/proc/self/statm") as statm:
        rss_pages = int(statm.read().split()[1])
    return {
        "rss_mb": rss_pages * os.sysconf("SC_PAGE_SIZE") / 2**20,
        "tasks": len(asyncio.all_tasks()),
        "threads": threading.active_count(),
        "fds": len(fds),
        "sockets": sockets,
    }


def make_crews(base_url: str) -> tuple[Crew, Crew]:
    """A plain crew and one whose agent runs code."""
    llm = LLM(model="openai/sim:tokens=20", base_url=base_url, api_key="sk-soak")
    writer = Agent(role="Writer", goal="Write", backstory="Brief.", llm=llm)
    coder = Agent(role="Coder", goal="Compute", backstory="Exact.", llm=llm,
                  allow_code_execution=True)
    plain = Crew(tasks=[Task(description="Note {n}", expected_output="text", agent=writer)])
    code = Crew(tasks=[Task(description="Mean of values = [1, {n}]", expected_output="number",
                            agent=coder)])
    return plain, code


async def run_one(crew: Crew, history: RunHistory, n: int) -> None:
    """One crew, recorded."""
    run_id = await history.start_run("Soak", inputs={"n": n})
    final = None
    async for event in crew.stream_events({"n": n}):
        if isinstance(event, TextDelta):
            history.append_text(run_id, event.task_index, event.content)
        elif isinstance(event, RunFinished):
            final = event.output.raw
    await history.finish_run(run_id, "finished", final_output=final)


async def soak(base_url: str, crews: int, db: Path) -> list[tuple[str, dict[str, float]]]:
    """Runs the crews back to back; returns the counts at warm-up, middle and end."""
    plain, code = make_crews(base_url)
    points: list[tuple[str, dict[str, float]]] = []
    async with RunHistory(db) as history:
        flusher = asyncio.create_task(history.run_autoflush(0.5))
        try:
            for n in range(crews + 50):
                await run_one(code if n % 10 == 0 else plain, history, n)
                if n + 1 == 50:
                    points.append(("after warm-up (50)", counts()))
                elif n + 1 == 50 + crews // 2:
                    points.append((f"middle ({n + 1})", counts()))
        finally:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
        points.append((f"end ({crews + 50})", counts()))
    return points


def main() -> int:
    """Prints the counts and whether they stayed flat."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--crews", type=int, default=1000)
    args = parser.parse_args()
    with SimulatorProcess(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as sim, \
            tempfile.TemporaryDirectory() as folder:
        points = asyncio.run(soak(sim.base_url, args.crews, Path(folder) / "history.db"))
    print(f"{'point':<22} {'RSS MB':>7} {'tasks':>5} {'threads':>7} {'fds':>4} {'sockets':>7}")
    for label, c in points:
        print(f"{label:<22} {c['rss_mb']:7.1f} {c['tasks']:5.0f} {c['threads']:7.0f} "
              f"{c['fds']:4.0f} {c['sockets']:7.0f}")
    start, end = points[0][1], points[-1][1]
    growth = (end["rss_mb"] - start["rss_mb"]) / start["rss_mb"] * 100
    leaked = {k: end[k] - start[k] for k in ("threads", "fds", "sockets") if end[k] > start[k]}
    print(f"\nRSS growth after warm-up: {growth:+.1f}% (limit 10%); grown counts: {leaked or 'none'}")
    return 0 if growth <= 10 and not leaked else 1


if __name__ == "__main__":
    sys.exit(main())
