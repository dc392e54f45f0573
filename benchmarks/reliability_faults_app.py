"""Faults from providers through the CLI and through the dashboard: what the user sees.

Run: `uv run python benchmarks/reliability_faults_app.py` (about 2 minutes).

The same faults as `reliability_faults.py` (the engine's matrix), each on a fresh simulator in
its own process, with the app's own retry settings (3 retries, back-off from 1 s, Retry-After
honoured) and the crew's time-out of 1 s (`llm_options: {timeout: 1}` in the crew file):

* CLI column: `python -m desktop_app run CREW --base-url ... --model openai/sim:<fault>`
  in a child process, the key in `OPENAI_API_KEY`, its history in a temporary
  `CREWDESK_HOME` (as a user's run, each run is recorded). Printed: exit code, the first line on
  stderr, whether a hint followed, and the characters of streamed text printed before the
  failure (`partial`).
* Dashboard column: the real `MainWindow` (offscreen) runs the faulty crew beside a healthy
  crew that streams for about a second, through `DashboardView.start` and the run
  controller, with a real history file. Printed: the faulty panel's status and error line
  (as shown under its text), the streamed characters kept in the panel and in the run
  history, whether the healthy panel finished, and the most the GUI thread's event loop was
  late (a 5 ms timer, as in `ui_streaming.py`) while the two ran.

Exit status 1 when a healthy crew did not finish, or a panel and the history disagree.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import keyring  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from reliability_faults import FAULTS  # noqa: E402
from ui_streaming import LatenessProbe  # noqa: E402

from desktop_app.documents import AgentSpec, CrewDocument, TaskSpec, save_crew  # noqa: E402
from desktop_app.simulator import SimulatorConfig, SimulatorProcess  # noqa: E402
from desktop_app.storage.paths import AppPaths  # noqa: E402
from desktop_app.storage.settings import ProviderSettings, Settings  # noqa: E402
from desktop_app.storage.testing import MemoryKeyring  # noqa: E402
from desktop_app.ui.controllers import RunStatus  # noqa: E402
from desktop_app.ui.main_window import MainWindow  # noqa: E402
from desktop_app.ui.qt import QEventLoop  # noqa: E402
from desktop_app.ui.services import AppServices  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-bench-faults-0123456789abcdef"
HEALTHY_MODEL = "openai/sim:tps=100,tokens=100,ttft=0.01"
SIM = SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)


def crew(name: str, model: str) -> CrewDocument:
    """A one-task crew on `model`, with a 1 s time-out per request."""
    agent = AgentSpec(
        key="analyst",
        role="Analyst",
        goal="Answer",
        backstory="Quick.",
        llm=model,
        llm_options={"timeout": 1},
    )
    task = TaskSpec(
        key="summary",
        name="Summary",
        description=f"{name}: summarise {{topic}}",
        expected_output="text",
        agent="analyst",
    )
    return CrewDocument(name=name, agents=[agent], tasks=[task])


def shorten(text: str, limit: int = 100) -> str:
    """One line of at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- CLI -----------------------------------------------------------------------------------


@dataclass
class CliCell:
    """What `crewdesk run` ended with."""

    code: int
    stderr_line: str
    hint: bool
    partial: int
    requests: int
    seconds: float


def cli_cell(crew_file: Path, settings: str, home: Path) -> CliCell:
    """Runs the crew file through `python -m desktop_app run` on a fresh simulator.

    `home` is the child's `CREWDESK_HOME`: `crewdesk run` records each run in the app's
    history, which must be a throwaway one, never the developer's own.
    """
    env = {**os.environ, "OPENAI_API_KEY": KEY, "PYTHONPATH": str(ROOT),
           "CREWDESK_HOME": str(home)}
    with SimulatorProcess(SIM) as sim:
        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "desktop_app",
                "run",
                str(crew_file),
                "--inputs",
                '{"topic": "tides"}',
                "--base-url",
                sim.base_url,
                "--model",
                f"openai/sim:{settings}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
            cwd=ROOT,
        )
        seconds = time.perf_counter() - start
        requests = int(sim.fetch_stats()["requests_total"]) - 1  # less the /stats request
    streamed = done.stdout.split("\n=== ", 1)[0]  # before the summary ("=== failed ===" ...)
    text = streamed.partition("==\n")[2].rstrip("\n")  # after the task's heading line
    lines = done.stderr.splitlines()
    first = next((line for line in lines if line.startswith("error: ")), "")
    return CliCell(
        done.returncode,
        first,
        any(line.startswith("hint: ") for line in lines),
        len(text),
        requests,
        seconds,
    )


# -- dashboard -----------------------------------------------------------------------------


@dataclass
class PanelCell:
    """What the dashboard showed."""

    status: str
    error_line: str
    panel_partial: int
    history_partial: int
    healthy_ok: bool
    max_lag_ms: float
    requests: int
    seconds: float


async def configure(services: AppServices, base_url: str) -> None:
    """Points the "Local" provider at `base_url` (its key in the in-memory keychain)."""
    await services.save_settings(
        Settings(
            providers=[
                ProviderSettings(
                    id="local",
                    kind="openai",
                    display_name="Local",
                    base_url=base_url,
                    credential_name="bench",
                )
            ],
            default_provider="local",
            concurrency_limit=8,
        )
    )


async def panel_cell(window: MainWindow, settings: str) -> PanelCell:
    """The faulty crew beside a healthy one, in the window's dashboard, on a fresh simulator."""
    with SimulatorProcess(SIM) as sim:
        await configure(window.services, sim.base_url)
        probe = LatenessProbe()
        probe.start()
        start = time.perf_counter()
        healthy = window.dashboard.start(crew("Healthy", HEALTHY_MODEL), {"topic": "ok"})
        faulty = window.dashboard.start(crew("Faulty", f"openai/sim:{settings}"), {"topic": "x"})
        await asyncio.gather(window.controller.wait(faulty), window.controller.wait(healthy))
        seconds = time.perf_counter() - start
        probe.stop()
        stats = await asyncio.to_thread(sim.fetch_stats)
    requests = int(stats["requests_total"]) - 2  # less the healthy crew's and /stats
    panel = window.dashboard.grid.panel_for(faulty.run_id)
    record = await window.services.history.get_run(faulty.run_id)
    assert panel is not None and record is not None
    shown = panel.shown_text().partition("✗")[0]
    kept = shown.split("──\n", 1)[-1].rstrip("\n")  # the text after the task heading
    error_line = re.sub(r"<[^>]+>", "", panel.error_label.text()) if faulty.error else ""
    cell = PanelCell(
        faulty.status.value,
        error_line,
        len(kept),
        len(record.task_text.get(0, "")),
        healthy.status is RunStatus.DONE,
        max(probe.samples, default=0.0),
        requests,
        seconds,
    )
    window.dashboard.grid.remove_finished()
    return cell


async def dashboard_column(home: Path) -> list[PanelCell]:
    """Every fault through the real main window."""
    services = AppServices(AppPaths.under(home))
    await services.start()
    await services.secrets.aset("bench", KEY)
    window = MainWindow(services)
    window.resize(1400, 900)
    window.show()
    await window.start()
    await services.load_engine()
    await panel_cell(window, "tokens=3")  # warm-up: first connections
    cells = []
    for label, settings in FAULTS:
        cell = await panel_cell(window, settings)
        cells.append(cell)
        print(
            f"  dashboard {label:<27} {cell.seconds:5.2f} s {cell.requests:>2} reqs "
            f"{cell.status:<6} "
            f"panel {cell.panel_partial:>9,} history {cell.history_partial:>9,} "
            f"healthy {'ok' if cell.healthy_ok else 'FAIL'}  lag max {cell.max_lag_ms:5.1f} ms"
            f"  {shorten(cell.error_line, 90)}",
            flush=True,
        )
    await window.shutdown()
    return cells


def cli_column(folder: Path) -> None:
    """Every fault through `python -m desktop_app run`."""
    crew_file = folder / "fault.crew.yaml"
    save_crew(crew("Fault", "openai/sim"), crew_file)
    print("CLI (python -m desktop_app run):")
    for label, settings in FAULTS:
        cell = cli_cell(crew_file, settings, folder / "cli-home")
        print(
            f"  cli {label:<27} {cell.seconds:5.2f} s {cell.requests:>2} reqs  exit {cell.code}  partial "
            f"{cell.partial:>9,}  hint {'yes' if cell.hint else 'no ':<3}  "
            f"{shorten(cell.stderr_line)}",
            flush=True,
        )


def main() -> int:
    """Prints both columns; exit status 1 when a rule was broken."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=("cli", "dashboard"), help="run one column")
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    bad = 0
    with tempfile.TemporaryDirectory() as folder:
        if args.only != "dashboard":
            cli_column(Path(folder))
        if args.only == "cli":
            return 0
        print("Dashboard (MainWindow, offscreen):")
        app = QApplication(sys.argv[:1])
        loop = QEventLoop(app)
        asyncio.set_event_loop(loop)
        cells = loop.run_until_complete(dashboard_column(Path(folder) / "home"))
        loop.close()
    for (label, _settings), cell in zip(FAULTS, cells, strict=True):
        if not cell.healthy_ok or (
            cell.status == "failed" and cell.panel_partial != cell.history_partial
        ):
            print(f"BROKEN: {label}")
            bad += 1
    print(
        f"\ncells: {2 * len(FAULTS)}; healthy panels that did not finish or panels showing "
        f"less than history: {bad}"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
