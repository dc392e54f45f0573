"""Issue 14: Run from anywhere runs that crew or says why not; no provider is said before a run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot
from test_app_support import (
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    make_services,
    open_window,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.storage.crew_library import EXAMPLE_PREFIX
from desktop_app.storage.paths import AppPaths
from desktop_app.ui.controllers import RunState, RunStatus
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.services import AppServices
from desktop_app.ui.settings import SettingsDialog

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


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
        window = await open_window(qtbot, services)
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


async def _no_provider_box(window: MainWindow) -> QMessageBox:
    def shown() -> QMessageBox | None:
        box = window.findChild(QMessageBox, "noProviderBox")
        return box if box is not None and box.isVisible() else None

    await wait_until(shown, within=10)
    box = shown()
    assert box is not None
    return box


def test_with_no_provider_run_offers_the_simulator_or_a_key_before_running(
    qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = AppServices(AppPaths.from_env())
        window = await open_window(qtbot, services)
        assert window.banner.isVisible()  # no provider set up, dry run unticked
        dashboard = window.dashboard
        assert not dashboard.dry_run.isChecked()
        started: list[RunState] = []
        window.controller.runAdded.connect(started.append)
        crew = EXAMPLE_PREFIX + "research_writer"
        await dashboard.select_crew(crew)
        dashboard.run_button.click()
        box = await _no_provider_box(window)
        assert "No model provider or API key is set up" in box.text()
        assert started == []  # nothing ran yet
        button = box.findChild(QPushButton, "addKey")
        assert button is not None
        button.click()
        await wait_until(lambda: window.findChild(SettingsDialog) is not None)
        settings = window.findChild(SettingsDialog)
        assert settings is not None
        settings.reject()
        assert started == [] and "Settings" in dashboard.message.text()
        dashboard.run_button.click()
        box = await _no_provider_box(window)
        simulator = box.findChild(QPushButton, "runOnSimulator")
        assert simulator is not None
        simulator.click()
        await wait_until(lambda: len(started) == 1)
        assert dashboard.dry_run.isChecked()
        await window.controller.wait(started[0])
        assert started[0].status is RunStatus.DONE, started[0].error
        await _close(window)

    arun(scenario(), timeout=120)


def test_ctrl_enter_runs_the_designer_s_crew_or_the_dashboard_s_checked_crews(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        alpha = await services.library.asave(make_document("Alpha", topic="owls", tasks=1))
        beta = await services.library.asave(make_document("Beta", topic="bees", tasks=1))
        window = await open_window(qtbot, services)
        started: list[RunState] = []
        window.controller.runAdded.connect(started.append)
        assert await window.designer.open_crew(alpha)
        window.tabs.setCurrentWidget(window.designer)
        window.activateWindow()
        qtbot.keyClick(window.designer.tabs, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        await wait_until(lambda: len(started) == 1)
        assert started[0].crew_name == "Alpha"
        assert window.tabs.currentWidget() is window.dashboard
        window.dashboard.picker.set_checked(beta)
        qtbot.keyClick(window.dashboard.picker, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier)
        await wait_until(lambda: len(started) == 2)
        assert started[1].crew_name == "Beta"
        for state in started:
            await window.controller.wait(state)
        await _close(window)

    arun(scenario(), timeout=120)
