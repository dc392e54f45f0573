"""What the OS sandbox adds to one code run, per backend, against the unsandboxed run.

Run: `uv run python benchmarks/sandbox_cost.py [--runs 30]` (about 30 s). Each mode runs
`print(1)` through `run_python` (the engine's code runner, guard included) `--runs` times,
after one warm-up run; the table gives the median and the 90th percentile wall time, the
median's ratio to the unsandboxed run and the milliseconds added (target: at most 50 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_app.engine.code_execution import CodeLimits, run_python  # noqa: E402
from desktop_app.engine.sandbox import BACKENDS, CHOICE_VARIABLE, detect  # noqa: E402

LIMITS = CodeLimits(allow_unsandboxed=True)


def _times(mode: str, runs: int) -> list[float]:
    os.environ[CHOICE_VARIABLE] = mode
    detect()  # the probe happens once per process, not per run
    run_python("print(1)", LIMITS)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = run_python("print(1)", LIMITS)
        times.append((time.perf_counter() - started) * 1000)
        assert result.stdout.strip() == "1", result
    return times


def main() -> int:
    """Prints the cost of each backend."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    modes = ["none"] + [name for name in BACKENDS if detect(name).backend == name]
    medians: dict[str, float] = {}
    print(f"{'mode':<10} {'median ms':>10} {'p90 ms':>8} {'ratio':>6} {'added ms':>9}")
    for mode in modes:
        times = sorted(_times(mode, runs))
        medians[mode] = statistics.median(times)
        p90 = times[int(len(times) * 0.9) - 1]
        ratio = medians[mode] / medians["none"]
        added = medians[mode] - medians["none"]
        print(f"{mode:<10} {medians[mode]:10.1f} {p90:8.1f} {ratio:6.2f} {added:9.1f}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
