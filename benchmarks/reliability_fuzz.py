"""Bad input: many thousands of generated and mutated crew files and CrewAI projects.

Run: `uv run python benchmarks/reliability_fuzz.py [--cases 3000]` (cases per kind; about
1 minute per 10,000 cases on 2 cores).

Each case (see `tests/reliability/fuzz_documents.py`) is written to a fresh folder and opened
with `load_crew`, `open_crew` or `import_crewai_project`; it must load or raise
`CrewFileError`. Prints the cases tried, how many loaded, how many got a clear error, the
crashes (any other exception, by type and place) and the slowest case. Exit status 1 on a
crash. Hypothesis generates the cases (generation phase only, no shrinking, no database).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.fuzz_documents import (  # noqa: E402 - after the path is set
    Case,
    attempt,
    classic_cases,
    crew_file_cases,
    jsonc_cases,
)

KINDS: dict[str, st.SearchStrategy[Case]] = {
    "crew file (.crew.yaml)": crew_file_cases(),
    "CrewAI classic (YAML)": classic_cases(),
    "CrewAI crew.jsonc": jsonc_cases(),
}


def fuzz(strategy: st.SearchStrategy[Case], cases: int) -> tuple[Counter[str], float]:
    """Tries `cases` cases; counts outcomes ("loaded", "error", or "crash: <where>")."""
    outcomes: Counter[str] = Counter()
    slowest = 0.0

    @settings(max_examples=cases, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(case: Case) -> None:
        nonlocal slowest
        start = time.perf_counter()
        try:
            outcomes[attempt(case)] += 1
        except Exception as exc:  # noqa: BLE001 - a crash is what we count
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            outcomes[f"crash: {type(exc).__name__} at {Path(frame.filename).name}:"
                     f"{frame.lineno}"] += 1
        slowest = max(slowest, time.perf_counter() - start)

    run()
    return outcomes, slowest


def main() -> int:
    """Fuzzes every kind and prints the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=3000, help="cases per kind")
    args = parser.parse_args()
    total = crashes = 0
    started = time.perf_counter()
    print(f"{'kind':<26} {'tried':>7} {'loaded':>7} {'errors':>7} {'crashes':>7} {'slowest':>8}")
    for label, strategy in KINDS.items():
        outcomes, slowest = fuzz(strategy, args.cases)
        tried = sum(outcomes.values())
        crashed = sum(n for key, n in outcomes.items() if key.startswith("crash"))
        total += tried
        crashes += crashed
        print(f"{label:<26} {tried:>7,} {outcomes['loaded']:>7,} {outcomes['error']:>7,} "
              f"{crashed:>7,} {slowest:>7.2f}s", flush=True)
        for key, count in outcomes.items():
            if key.startswith("crash"):
                print(f"    {count} x {key}")
    print(f"\ncases tried: {total:,}; crashes found: {crashes}; "
          f"{time.perf_counter() - started:.0f} s")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
