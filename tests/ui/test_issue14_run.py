"""Issue 14: Run from anywhere runs that crew or says why not; no provider is said before a run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from test_app_support import (
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    make_services,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.ui.controllers import RunState
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.services import AppServices

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


async def _window(qtbot: QtBot, services: AppServices) -> MainWindow:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    await window.start()
    return window


async def _close(window: MainWindow) -> None:
    await window.controller.aclose()
    window.designer.editor.open(window.designer.editor.document, crew_id=None)  # not dirty
    window.close()
    await wait_until(lambda: not window.isVisible())


def test_designer_run_runs_its_crew_while_the_dashboard_shows_another(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        alpha = await services.library.asave(make_document("Alpha", topic="owls", tasks=1))
        beta = await services.library.asave(make_document("Beta", topic="bees", tasks=1))
        window = await _window(qtbot, services)
        started: list[RunState] = []
        window.controller.runAdded.connect(started.append)
        for attempt in range(6):
            window.tabs.setCurrentWidget(window.dashboard)
            await window.dashboard.select_crew(beta)  # another crew highlighted
            assert await window.designer.open_crew(alpha)
            window.tabs.setCurrentWidget(window.designer)
            window.designer.buttons["run"].click()
            await wait_until(lambda n=attempt: len(started) > n, within=10)
            assert started[attempt].crew_name == "Alpha"
            assert started[attempt].inputs == {"topic": "owls"}
            assert window.tabs.currentWidget() is window.dashboard
            await window.controller.wait(started[attempt])
        await _close(window)

    arun(scenario(), timeout=120)
