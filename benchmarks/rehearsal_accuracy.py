"""Is a rehearsal's forecast right? Rehearsal against a real run of the same crews.

For each example crew, `documents.rehearsal.rehearse` runs it once (its first inputs row) on a
fast in-process simulator and forecasts the calls, tokens and dollars of one run and of the
whole batch (rows x one run). Then the batch runs for real: the crew built as `crewdesk run`
builds it, with its real model names, against a simulator in its own process standing in
for the provider (ttft 0.2 s, 150 tokens/s: a provider's pace), each row with its own inputs
(other topics and audiences, so other prompt lengths). The figures are the ratios of the
forecast to what the real batch used (1.00 is exact; the target is within 10%).

Usage: ``uv run python benchmarks/rehearsal_accuracy.py [--rows 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from desktop_app.documents import build_crew, load_crew, override_llm
from desktop_app.documents.rehearsal import rehearse
from desktop_app.engine.toolkit.simulated import simulated_services
from desktop_app.simulator import SimulatorConfig, SimulatorProcess

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
CREWS = ["research_writer", "topic_briefs", "managed_launch", "python_data_analyst"]
TOPICS = ["electric cars", "heat pumps for old houses", "battery recycling in Europe",
          "offshore wind", "green hydrogen for steel making", "tidal power", "solar roofs",
          "grid storage"]


async def _measure(name: str, rows_wanted: int, base_url: str, root: str) -> None:
    document = load_crew(EXAMPLES / f"{name}.crew.yaml")
    rows = _rows_for(name, document, rows_wanted)
    started = time.perf_counter()
    forecast = await rehearse(document, rows[0], base_dir=EXAMPLES)
    rehearsed = time.perf_counter() - started
    with simulated_services(root):
        started = time.perf_counter()
        real_calls, real_tokens, real_dollars = await _real(document, rows, base_url)
        ran = time.perf_counter() - started
    n = len(rows)
    print(f"{name:<20} rows {n}: forecast {forecast.calls * n:>4} calls "
          f"{forecast.tokens * n:>7,} tokens ${forecast.cost_usd * n:.4f} | real "
          f"{real_calls:>4} calls {real_tokens:>7,} tokens ${real_dollars:.4f} | ratio calls "
          f"{forecast.calls * n / real_calls:.2f} tokens {forecast.tokens * n / real_tokens:.2f}"
          f" dollars {forecast.cost_usd * n / real_dollars if real_dollars else 0:.2f}"
          f" | rehearsal {rehearsed:.2f} s, real batch {ran:.2f} s")


def _rows_for(name: str, document: Any, count: int) -> list[dict[str, object]]:
    own = EXAMPLES / f"{name}.inputs.jsonl"
    defaults = dict(document.default_inputs())
    if own.exists():
        lines = [json.loads(line) for line in own.read_text().splitlines() if line.strip()]
        rows = [{**defaults, **line} for line in lines]
    elif "topic" in defaults:
        rows = [{**defaults, "topic": topic} for topic in TOPICS]
    else:
        rows = [defaults]
    return (rows * count)[:count]


async def _real(document: Any, rows: list[dict[str, object]], base_url: str
                ) -> tuple[int, int, float]:
    from desktop_app.engine import events as ev

    routed = override_llm(document, model=None, base_url=base_url)
    calls = tokens = 0
    dollars = 0.0
    for inputs in rows:
        crew = build_crew(routed, resolve_api_key=lambda _spec: "sk-real", base_dir=EXAMPLES)
        crew.human_input_handler = lambda _request: ""
        stream = crew.stream_events(inputs)
        async for event in stream:
            if isinstance(event, ev.RunFinished):
                usage = event.output.token_usage
                calls += usage.successful_requests
                tokens += usage.total_tokens
                dollars += event.cost_usd or 0.0
        stream.value()
    return calls, tokens, dollars


async def main_async(rows: int) -> None:
    config = SimulatorConfig(ttft=0.2, tokens_per_second=150.0)
    with SimulatorProcess(config) as sim:
        for name in CREWS:
            await _measure(name, rows, sim.base_url, sim.root_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5)
    asyncio.run(main_async(parser.parse_args().rows))


if __name__ == "__main__":
    main()
