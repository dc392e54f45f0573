"""Pictures the real main window in the light and the dark theme (run by `test_theme_screenshots`).

    python tests/ui/_theme_shot.py <folder for the pictures> <app home>

Starts the whole app window (`MainWindow`, services on `<app home>`, the offline simulator as
its provider), then saves, for each theme:

- ``welcome-<theme>.png``: the designer's welcome page (no crew open yet);
- ``designer-<theme>.png``: the designer with the hierarchical example ``managed_launch`` on
  its canvas;
- ``dashboard-<theme>.png``: the dashboard with eight runs streaming from the simulator, the
  ``managed_launch`` one waiting for the person's feedback (its task has ``human_input``).

Prints ``THEME_SHOT_SAVED=<path>`` per picture and ``THEME_SHOT_WAITING=<n>`` (the runs that
asked for input when the dashboard was pictured), then stops the runs and closes.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import PySide6.QtWidgets  # noqa: F401 - qasync must find PySide6 first
import qasync
from PySide6.QtWidgets import QApplication, QPushButton

from desktop_app.storage.paths import AppPaths
from desktop_app.ui.controllers.run_state import RunState
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.services import SIMULATOR_PROVIDER_ID, AppServices

MANAGED = "example:managed_launch"
QUICK_MODEL = "openai/sim:tps=200,tokens=40,ttft=0.05"  # reaches the question fast
SLOW_MODEL = "openai/sim:tps=14,tokens=600,ttft=0.2"  # still streaming when pictured
OTHERS = ("example:research_writer", "example:topic_briefs", "example:research_writer",
          "example:topic_briefs", "example:research_writer", "example:topic_briefs",
          "example:research_writer")
TOPICS = ("tides", "bees", "owls", "glaciers", "comets", "coral reefs", "volcanoes")


async def _use_model(window: MainWindow, model: str) -> None:
    """The simulator provider, default, with ``model`` and room for eight runs at once."""
    services = window.services
    await services.use_simulator_provider()
    settings = services.current_settings.model_copy(deep=True)
    provider = settings.provider(SIMULATOR_PROVIDER_ID)
    assert provider is not None
    provider.default_model = model
    settings.concurrency_limit = 8
    await services.save_settings(settings)
    window.controller.set_concurrency_limit(8)


def _inputs(window: MainWindow, names: list[str], index: int) -> dict[str, Any]:
    values: dict[str, Any] = {"topic": TOPICS[index % len(TOPICS)],
                              "audience": "curious teenagers", "product": "a solar kettle"}
    return {name: values.get(name, name) for name in names}


async def _start(window: MainWindow, crew_id: str, index: int) -> RunState:
    dashboard = window.dashboard
    document = await dashboard.select_crew(crew_id)
    assert document is not None, crew_id
    return dashboard.start(document, _inputs(window, document.placeholders(), index), crew_id)


async def _runs(window: MainWindow) -> list[RunState]:
    """Starts the waiting run, then seven streaming ones; returns when the first asks."""
    await _use_model(window, QUICK_MODEL)
    asked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    managed = await _start(window, MANAGED, 0)

    def on_input(_prompt: object) -> None:
        if not asked.done():
            asked.set_result(None)

    managed.inputRequested.connect(on_input)
    async with asyncio.timeout(90):
        await asked
    await _use_model(window, SLOW_MODEL)
    states = [managed]
    for index, crew_id in enumerate(OTHERS):
        states.append(await _start(window, crew_id, index))
    await asyncio.sleep(4.0)  # every panel has streamed some lines
    return states


async def _save(window: MainWindow, out: Path, name: str) -> None:
    await asyncio.sleep(0.4)  # the theme's repaint and the last frame of text
    path = out / f"{name}.png"
    assert window.grab().save(str(path)), f"could not save {path}"
    print(f"THEME_SHOT_SAVED={path}", flush=True)


async def picture(out: Path, home: Path) -> None:
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    window = MainWindow()
    window.resize(1280, 800)
    window.move(0, 0)
    window.show()
    window.attach(AppServices(AppPaths.under(home)))
    await window.start()
    await window.services.load_engine()
    window.tabs.setCurrentWidget(window.designer)
    for theme in ("light", "dark"):
        window.choose_theme(theme)
        await _save(window, out, f"welcome-{theme}")
    await window.use_simulator()  # the provider banner goes: runs use the simulator
    assert await window.designer.open_crew(MANAGED)
    for theme in ("light", "dark"):
        window.choose_theme(theme)
        await _save(window, out, f"designer-{theme}")
    window.tabs.setCurrentWidget(window.dashboard)
    states = await _runs(window)
    waiting = 0
    for theme in ("light", "dark"):
        window.choose_theme(theme)
        waiting = sum(1 for state in states if state.pending_input is not None)
        await _save(window, out, f"dashboard-{theme}")
    compact = next((b for b in window.dashboard.findChildren(QPushButton)
                    if b.text() == "Compact list"), None)
    if compact is not None:  # one line per run: all eight at once
        compact.click()
        await _save(window, out, "dashboard-compact-dark")
        compact.click()
    print(f"THEME_SHOT_WAITING={waiting}", flush=True)
    print(f"THEME_SHOT_RUNNING={sum(1 for s in states if not s.status.is_terminal)}", flush=True)
    await window.controller.aclose(grace=3.0)
    await window.services.close()


def main() -> None:
    out, home = Path(sys.argv[1]), Path(sys.argv[2])
    app = QApplication([])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(picture(out, home))


if __name__ == "__main__":
    main()
