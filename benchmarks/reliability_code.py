"""Code a model wrote, as the engine runs it: every attempt tried and how each ended.

Run: `uv run python benchmarks/reliability_code.py` (about 5 s).

The attempts (`tests/reliability/code_attempts.py`) try to read keys, write, remove, rename
and create outside the run's folder (directly, through a symlink, `..`, SQLite, a shell, a
Python child, `-I`, a clean environment, ctypes), to run past the CPU, memory and time
limits, to leave a daemon behind, and a run is cancelled. Exit status 1 if any ended wrongly.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.code_attempts import (  # noqa: E402 - after the path is set
    ATTEMPTS,
    cancel_a_run,
    try_attempt,
)


async def main() -> int:
    """Runs every attempt and prints how it ended."""
    os.environ["OPENAI_API_KEY"] = "sk-benchmark-secret"
    wrong = 0
    print(f"{'attempt':<42} {'s':>5}  ended")
    for attempt in ATTEMPTS:
        with tempfile.TemporaryDirectory() as folder:
            try:
                how, seconds = await try_attempt(attempt, Path(folder))
            except AssertionError as exc:
                wrong += 1
                how, seconds = f"WRONG: {exc}", 0.0
        print(f"{attempt.name:<42} {seconds:5.2f}  {how}", flush=True)
    try:
        how = await cancel_a_run()
    except AssertionError as exc:
        wrong += 1
        how = f"WRONG: {exc}"
    print(f"{'cancel a run that started a child':<42} {'':>5}  {how}")
    print(f"\nattempts: {len(ATTEMPTS) + 1}; ended wrongly: {wrong}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
