"""What the OS sandbox adds to one code run, per backend, against the unsandboxed run.

Run: `uv run python benchmarks/sandbox_cost.py [--runs 30]` (about 30 s). Each mode runs
`print(1)` through `run_python` (the engine's code runner, guard included) `--runs` times,
the modes interleaved, after one warm-up run each; the table gives the median and the 90th
percentile wall time, the median's ratio to the unsandboxed run and the milliseconds added
(target: at most 50 ms). `none` is today's run without a sandbox (opted in). `B/rlimits`
is backend B with no cgroup of its own (as for a user whose cgroup cannot have children:
processes and memory capped by rlimits): moving a process into a cgroup costs 10-15 ms on
cgroup v1.
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
from desktop_app.engine.sandbox import BACKENDS, CHOICE_VARIABLE, _limits, detect  # noqa: E402

LIMITS = CodeLimits(allow_unsandboxed=True)
_PIDS_ROOT, _MEMORY_PARENT = _limits._pids_root, _limits.memory_parent


def _once(mode: str) -> float:
    backend, _, caps = mode.partition("/")
    os.environ[CHOICE_VARIABLE] = backend
    _limits._pids_root = (lambda: None) if caps else _PIDS_ROOT
    _limits.memory_parent = (lambda: None) if caps else _MEMORY_PARENT  # type: ignore[assignment]
    started = time.perf_counter()
    result = run_python("print(1)", LIMITS)
    elapsed = (time.perf_counter() - started) * 1000
    assert result.stdout.strip() == "1", result
    return elapsed


def main() -> int:
    """Prints the cost of each backend."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    backends = [name for name in BACKENDS if detect(name).backend == name]
    with_cgroups = _PIDS_ROOT() is not None or _MEMORY_PARENT() is not None
    modes = ["none", *backends, *([f"{b}/rlimits" for b in backends] if with_cgroups else [])]
    for mode in modes:  # warm-up; the probe happens once per process, not per run
        _once(mode)
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    for round_ in range(runs):  # interleaved, so a change of load hits every mode alike
        for mode in modes[round_ % len(modes):] + modes[:round_ % len(modes)]:
            times[mode].append(_once(mode))
    base = statistics.median(times["none"])
    print(f"load average: {os.getloadavg()[0]:.1f}; {runs} runs per mode, interleaved")
    print(f"{'mode':<17} {'median ms':>10} {'p90 ms':>8} {'ratio':>6} {'added ms':>9}")
    for mode in modes:
        ordered = sorted(times[mode])
        median = statistics.median(ordered)
        p90 = ordered[max(0, int(len(ordered) * 0.9) - 1)]
        print(f"{mode:<17} {median:10.1f} {p90:8.1f} {median / base:6.2f} {median - base:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
