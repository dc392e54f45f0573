"""SIGKILL of the desktop app itself while 20 crews stream, ten times: what each kill cost.

Run: `uv run python benchmarks/reliability_crash_app.py [--repeats 10]` (about 15 s a kill).

The real app (`python -m desktop_app`, Qt offscreen) is driven by its autorun hook
(`tests/reliability/app_crash_harness.py`): it opens a crew file in the designer, saves it,
leaves an edit unsaved (its recovery copy written as the designer writes it), and runs the
crew 20 times from the dashboard, each streaming at 40 tokens/s from the simulator (its own
process), through the run controller into the panels and the run history (flushed every
0.5 s). About 2.5 s after every run has text the app is killed with SIGKILL. Then what it
left is opened as the next start does: SQLite's integrity check, `mark_interrupted`, each run's
stored text against what it had received 1 s before the kill ("chars lost", must be 0) and at
the kill ("unsaved", the text of the last flush interval), and the recovery copy holding the
unsaved edit ("edit offered"). `tests/ui/test_app_kill.py` does one kill and restarts the real
window to see the runs and the edit offered there.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "desktop_app.storage.testing.MemoryKeyring")

from desktop_app.simulator import SimulatorConfig, SimulatorProcess  # noqa: E402
from tests.reliability.app_crash_harness import (  # noqa: E402
    AppCrashOutcome,
    inspect,
    kill_app_while_streaming,
)


def broke_a_rule(outcome: AppCrashOutcome) -> bool:
    """Whether a kill lost a run, text older than a second, or the unsaved edit."""
    return (
        outcome.integrity != "ok"
        or outcome.runs_lost > 0
        or outcome.interrupted != outcome.runs_started
        or max(outcome.chars_lost) > 0
        or not outcome.recovery_offered
    )


def main() -> int:
    """Kills the app `--repeats` times and prints each outcome and the totals."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    outcomes: list[AppCrashOutcome] = []
    print(
        f"{'kill':>4} {'integrity':>9} {'runs':>4} {'lost':>4} {'interrupted':>11} "
        f"{'chars lost (max)':>16} {'unsaved mean/max':>16} {'edit offered':>12}"
    )
    with SimulatorProcess(SimulatorConfig(ttft=0.05)) as sim:
        for kill in range(1, args.repeats + 1):
            with tempfile.TemporaryDirectory() as folder:
                killed = kill_app_while_streaming(Path(folder), sim.base_url)
                outcome = asyncio.run(inspect(killed, mark_interrupted=True))
            outcomes.append(outcome)
            print(
                f"{kill:>4} {outcome.integrity:>9} {outcome.runs_started:>4} "
                f"{outcome.runs_lost:>4} {outcome.interrupted:>11} "
                f"{max(outcome.chars_lost):>16} "
                f"{statistics.mean(outcome.chars_unsaved):>9.0f}/{max(outcome.chars_unsaved)}"
                f" {'yes' if outcome.recovery_offered else 'NO':>12}",
                flush=True,
            )
    lost = [n for outcome in outcomes for n in outcome.chars_lost]
    unsaved = [n for outcome in outcomes for n in outcome.chars_unsaved]
    bad = sum(map(broke_a_rule, outcomes))
    print(
        f"\nkills: {len(outcomes)}; runs lost: {sum(o.runs_lost for o in outcomes)}; "
        f"characters lost per run (received 1 s before the kill, not stored): max "
        f"{max(lost)}, total {sum(lost)}; unsaved at the kill: mean "
        f"{statistics.mean(unsaved):.0f}, max {max(unsaved)} chars per run; unsaved edit "
        f"offered back: {sum(o.recovery_offered for o in outcomes)}/{len(outcomes)}; kills "
        f"that broke a rule: {bad}"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
