"""1,000 crews back to back through the desktop app's dashboard and run controller.

Run: `uv run python benchmarks/reliability_soak_ui.py [--crews 1000]` (about 2 minutes).

The real `MainWindow` (offscreen, qasync loop, dashboard tab shown) runs one crew after
another through `DashboardView.start` and the `RunController`: the crew is built with its key
from the (in-memory) keychain, streamed from the simulator (its own process) over HTTP through
litellm into its panel, and recorded in the run history (a real SQLite file). Every tenth crew
has an agent that runs code in a child process. After a warm-up of 50 crews, at the middle and
at the end (after a `gc.collect()` and 0.7 s of quiet, so the history's flusher has ended):
RSS, asyncio tasks, threads, open descriptors and sockets of the process, and what the app
keeps per run: panels in the dashboard, `RunState` objects alive, and the Qt objects under the
window. Passes when RSS grows at most 10% from the warm-up to the end and no count grows.

The loop's default executor is the app's own (`desktop_app.ui.app`: a `ThreadPoolExecutor` of
`WORKER_THREADS`, threads named crewdesk-worker_N, started when needed). qasync's fallback,
which the app never uses, starts 10 QThreads at once; Python lists one as a "Dummy" thread only
after it first asks for its current thread (a sandbox's `Thread.join`), so the thread count
rose 5 -> 7 over the soak while the process's threads stayed the same 14.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import keyring  # noqa: E402
from PySide6.QtCore import QObject  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from reliability_soak import counts as process_counts  # noqa: E402 (benchmarks/)

from desktop_app.documents.model import (  # noqa: E402
    AgentSpec,
    CrewDocument,
    CrewSettings,
    TaskSpec,
)
from desktop_app.simulator import SimulatorConfig, SimulatorProcess  # noqa: E402
from desktop_app.storage.paths import AppPaths  # noqa: E402
from desktop_app.storage.settings import ProviderSettings, Settings  # noqa: E402
from desktop_app.storage.testing import MemoryKeyring  # noqa: E402
from desktop_app.ui.app import WORKER_THREADS  # noqa: E402
from desktop_app.ui.controllers import RunState, RunStatus  # noqa: E402
from desktop_app.ui.main_window import MainWindow  # noqa: E402
from desktop_app.ui.qt import QEventLoop  # noqa: E402
from desktop_app.ui.services import AppServices  # noqa: E402

WARM_UP = 50
COLUMNS = ("rss_mb", "tasks", "threads", "fds", "sockets", "panels", "run_states", "qobjects")


def counts(window: MainWindow) -> dict[str, float]:
    """What the process holds now (after a full collection), and what the window holds."""
    return {
        **process_counts(),
        "panels": len(window.dashboard.grid.panels),
        "run_states": sum(1 for obj in gc.get_objects() if isinstance(obj, RunState)),
        "qobjects": len(window.findChildren(QObject)),
    }


def crews() -> tuple[CrewDocument, CrewDocument]:
    """A plain crew and one whose agent runs code."""
    writer = AgentSpec(
        key="w", role="Writer", goal="Write", backstory="Brief.", llm="openai/sim:tokens=20"
    )
    coder = AgentSpec(
        key="c",
        role="Coder",
        goal="Compute",
        backstory="Exact.",
        llm="openai/sim:tokens=20",
        allow_code_execution=True,
    )
    plain = CrewDocument(
        name="Soak",
        agents=[writer],
        tasks=[TaskSpec(key="t", description="Note {n}", expected_output="text", agent="w")],
    )
    code = CrewDocument(
        name="Soak code",
        settings=CrewSettings(approval="always"),  # nobody answers "ask" in a soak
        agents=[coder],
        tasks=[
            TaskSpec(
                key="t",
                description="Mean of values = [1, {n}]",
                expected_output="number",
                agent="c",
            )
        ],
    )
    return plain, code


async def open_window(home: Path, base_url: str) -> MainWindow:
    """The main window on a fresh home, its provider on the simulator."""
    services = AppServices(AppPaths.under(home))
    await services.start()
    await services.secrets.aset("soak", "sk-soak-0123456789abcdef")
    await services.save_settings(
        Settings(
            providers=[
                ProviderSettings(id="sim", kind="openai", base_url=base_url, credential_name="soak")
            ],
            default_provider="sim",
        )
    )
    window = MainWindow(services)
    window.resize(1400, 900)
    window.show()
    await window.start()
    await services.load_engine()
    return window


async def soak(base_url: str, total: int, home: Path) -> list[tuple[str, dict[str, float]]]:
    """Runs the crews one after another; returns the counts at warm-up, middle and end."""
    window = await open_window(home, base_url)
    plain, code = crews()
    points: list[tuple[str, dict[str, float]]] = []
    marks = {
        WARM_UP: f"after warm-up ({WARM_UP})",
        WARM_UP + total // 2: "middle",
        WARM_UP + total: "end",
    }
    for n in range(1, WARM_UP + total + 1):
        state = window.dashboard.start(code if n % 10 == 0 else plain, {"n": n})
        await window.controller.wait(state)
        if state.status is not RunStatus.DONE:
            raise RuntimeError(f"crew {n} ended {state.status.value}: {state.error}")
        if n in marks:
            await asyncio.sleep(0.7)  # the history's flusher ends 0.5 s after the last run
            label = marks[n] if n == WARM_UP else f"{marks[n]} ({n})"
            points.append((label, counts(window)))
            print(_row(*points[-1]), flush=True)
    await window.shutdown()
    return points


def _row(label: str, c: dict[str, float]) -> str:
    return f"{label:<20} " + " ".join(
        f"{c[key]:>{max(6, len(key))}.1f}" if key == "rss_mb" else f"{c[key]:>{len(key)}.0f}"
        for key in COLUMNS
    )


def main() -> int:
    """Prints the counts and whether they stayed flat."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--crews", type=int, default=1000)
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    app = QApplication(sys.argv[:1])
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    executor = ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="crewdesk-worker")
    loop.set_default_executor(executor)  # as the app's `main` does
    print(
        f"{'point':<20} "
        + " ".join(f"{key:>{max(6, len(key))}}" if key == "rss_mb" else key for key in COLUMNS)
    )
    with (
        SimulatorProcess(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as sim,
        tempfile.TemporaryDirectory() as folder,
    ):
        points = loop.run_until_complete(soak(sim.base_url, args.crews, Path(folder)))
    loop.close()
    executor.shutdown(wait=True)
    start, end = points[0][1], points[-1][1]
    growth = (end["rss_mb"] - start["rss_mb"]) / start["rss_mb"] * 100
    grown = {key: end[key] - start[key] for key in COLUMNS[1:] if end[key] > start[key]}
    print(
        f"\nRSS growth after warm-up: {growth:+.1f}% (limit 10%); grown counts: {grown or 'none'}"
    )
    return 0 if growth <= 10 and not grown else 1


if __name__ == "__main__":
    sys.exit(main())
