"""The main window: first start, the offline simulator, closing with runs, history, restart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from test_app_support import (
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    make_services,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.storage.crew_library import EXAMPLE_PREFIX
from desktop_app.storage.paths import AppPaths
from desktop_app.ui.controllers import RunStatus
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.services import SIMULATOR_PROVIDER_ID, AppServices

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")

FAST_SIM = "openai/sim:tps=2000,tokens=20,ttft=0.005"


async def wait_signal(signal: SignalInstance, within: float = 30.0) -> None:
    """Waits for one emission of `signal` (a coroutine-safe `waitSignal`)."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def done(*_args: object) -> None:
        if not future.done():
            future.set_result(None)

    signal.connect(done)
    try:
        await asyncio.wait_for(future, within)
    finally:
        signal.disconnect(done)


async def _window(qtbot: QtBot, services: AppServices | None = None) -> MainWindow:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # as `main()` does: the window quits through `closed`
    window = MainWindow(services or AppServices(AppPaths.from_env()))
    qtbot.addWidget(window)
    window.show()
    await window.start()
    return window


async def _answer_close_question(window: MainWindow, button: QMessageBox.StandardButton) -> None:
    await wait_until(lambda: (box := window.findChild(QMessageBox, "askBox")) and box.isVisible())
    box = window.findChild(QMessageBox, "askBox")
    assert box is not None
    box.button(button).click()


def test_a_key_in_the_environment_counts_as_a_provider(
    qtbot: QtBot, arun: Arun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-the-environment")

    async def scenario() -> None:
        window = await _window(qtbot)
        assert not window.banner.isVisible()
        assert not window.services.current_settings.providers
        window.close()
        await wait_signal(window.closed)

    arun(scenario())


def test_first_start_offers_settings_and_the_simulator(qtbot: QtBot, arun: Arun) -> None:
    async def scenario() -> None:
        window = await _window(qtbot)
        assert window.banner.isVisible()
        assert window.tabs.currentWidget() is window.dashboard
        assert any(i.startswith(EXAMPLE_PREFIX) for i in window.dashboard.picker.ids())
        window.banner.simulator_button.click()
        await wait_until(lambda: not window.banner.isVisible())
        settings = window.services.current_settings
        assert settings.default_provider == SIMULATOR_PROVIDER_ID
        on_disk = (await window.services.settings.aload()).settings
        assert on_disk.default_provider == SIMULATOR_PROVIDER_ID
        settings.providers[0].default_model = FAST_SIM
        crew = EXAMPLE_PREFIX + "research_writer"
        state = await window.dashboard.run_crew(crew)
        assert state is not None
        await window.controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert "solar power" in state.transcript()
        assert window.services.simulator.running
        window.close()
        await wait_signal(window.closed)
        assert not window.isVisible()
        assert not window.services.simulator.running

    arun(scenario())


def test_closing_with_a_run_going_asks_then_stops_it(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        window = await _window(qtbot, services)
        doc = make_document("Long", model="openai/sim:tps=30,tokens=500", tasks=1)
        state = window.dashboard.start(doc, doc.default_inputs())
        await wait_until(lambda: "Answer to:" in state.transcript())
        window.close()
        await _answer_close_question(window, QMessageBox.StandardButton.Cancel)
        await asyncio.sleep(0.1)
        assert window.isVisible() and state.status is RunStatus.RUNNING
        window.close()
        await _answer_close_question(window, QMessageBox.StandardButton.Close)
        await wait_signal(window.closed)
        assert state.status.value == "cancelled"
        again = AppServices(AppPaths.from_env())
        await again.start()
        record = await again.history.get_run(state.run_id)
        assert record is not None and record.status == "cancelled"
        assert record.task_text[0].startswith("Answer to:")
        await again.close()

    arun(scenario())


def test_rerun_from_history_uses_the_same_inputs(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        window = await _window(qtbot, services)
        doc = make_document("Again", tasks=1)
        first = window.dashboard.start(doc, {"topic": "lichens"}, mode="kickoff_async")
        await window.controller.wait(first)
        await window.services.history.flush()
        await window.rerun_from_history(first.run_id)
        second = window.controller.runs[-1]
        assert second is not first
        await window.controller.wait(second)
        assert second.status is RunStatus.DONE
        assert second.inputs == {"topic": "lichens"} and second.mode == "kickoff_async"
        assert "about lichens" in second.transcript()
        window.close()
        await wait_signal(window.closed)

    arun(scenario())


def test_runs_left_running_show_as_interrupted_after_restart(qtbot: QtBot, arun: Arun) -> None:
    async def scenario() -> None:
        crashed = AppServices(AppPaths.from_env())
        await crashed.start()
        run_id = await crashed.history.start_run("Crashed", mode="akickoff")
        await crashed.history.close()
        window = await _window(qtbot)
        assert window.services.interrupted_runs == 1
        assert "interrupted" in window.statusBar().currentMessage()
        record = await window.services.history.get_run(run_id)
        assert record is not None and record.status == "interrupted"
        window.close()
        await wait_signal(window.closed)

    arun(scenario())


def test_saved_settings_change_the_concurrency_limit(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        window = await _window(qtbot, services)
        assert window.controller.gate.limit == 4
        settings = services.current_settings.model_copy(update={"concurrency_limit": 2})
        await services.settings.asave(settings)
        await window.apply_settings()
        assert window.controller.gate.limit == 2
        window.close()
        await wait_signal(window.closed)

    arun(scenario())


def test_the_settings_dialog_opens_without_blocking_and_its_changes_apply(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        window = await _window(qtbot, services)
        dialog = window.open_settings()
        await wait_until(dialog.isVisible)
        settings = services.current_settings.model_copy(update={"concurrency_limit": 3})
        await services.settings.asave(settings)
        dialog.settingsChanged.emit()
        await wait_until(lambda: window.controller.gate.limit == 3)
        dialog.reject()
        window.close()
        await wait_signal(window.closed)

    arun(scenario())
