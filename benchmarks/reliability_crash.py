"""SIGKILL while 20 crews stream into the run history, ten times: what each kill cost.

Run: `uv run python benchmarks/reliability_crash.py [--repeats 10]` (about 10 s a kill).

A child process (`tests/reliability/crash_child.py`) records 20 streaming crews (40 tokens/s
each, on the simulator in its own process) as the dashboard does: every piece through
`RunHistory.append_text`, flushed every 0.5 s. About 2.5 s after every run has text it is
killed with SIGKILL. Then the history is opened as at the next start: SQLite's integrity
check, `mark_interrupted`, and each run's stored text against what the child had received
1 s before the kill (must all be there: "chars lost") and at the kill ("chars unsaved", the
at most 0.5 s not yet flushed). The engine-level recorder stands in for the app's (the
desktop app's own kill, and its designer recovery, are the app's to test).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_app.simulator import SimulatorConfig, SimulatorProcess  # noqa: E402
from tests.reliability.crash_harness import kill_while_streaming  # noqa: E402


def main() -> int:
    """Kills the child `--repeats` times and prints each outcome and the totals."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    bad = 0
    lost_runs = 0
    lost_chars: list[int] = []
    unsaved: list[int] = []
    print(f"{'kill':>4} {'integrity':>9} {'runs':>4} {'lost':>4} {'interrupted':>11} "
          f"{'chars lost (max)':>16} {'unsaved mean/max':>16}")
    with SimulatorProcess(SimulatorConfig(ttft=0.05)) as sim:
        for kill in range(1, args.repeats + 1):
            with tempfile.TemporaryDirectory() as folder:
                outcome = kill_while_streaming(Path(folder) / "history.db", sim.base_url)
            lost_runs += outcome.runs_lost
            lost_chars += outcome.chars_lost
            unsaved += outcome.chars_unsaved
            bad += (outcome.integrity != "ok" or outcome.runs_lost > 0
                    or outcome.marked_interrupted != outcome.runs_started
                    or max(outcome.chars_lost) > 0)
            print(f"{kill:>4} {outcome.integrity:>9} {outcome.runs_started:>4} "
                  f"{outcome.runs_lost:>4} {outcome.marked_interrupted:>11} "
                  f"{max(outcome.chars_lost):>16} "
                  f"{statistics.mean(outcome.chars_unsaved):>9.0f}/{max(outcome.chars_unsaved)}",
                  flush=True)
    print(f"\nkills: {args.repeats}; runs lost: {lost_runs}; characters lost per run "
          f"(received 1 s before the kill, not stored): max {max(lost_chars)}, "
          f"total {sum(lost_chars)}; unsaved at the kill: mean {statistics.mean(unsaved):.0f}, "
          f"max {max(unsaved)} chars per run; kills that broke a rule: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
