"""A crew file that names a base_url is shown before its first run: which address gets the
prompts and keys of which agent, Run / Cancel, asked once per crew; a crew made in the
designer does not ask about the addresses typed there."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot
from test_app_support import (
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    make_services,
    sim_fixture,  # noqa: F401 - the `sim` fixture
)

from desktop_app.documents.model import CrewDocument
from desktop_app.simulator import SimulatorThread
from desktop_app.ui.controllers import RunController, RunStatus
from desktop_app.ui.dashboard import DashboardView
from desktop_app.ui.designer import DesignerView

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


def pointed(name: str, url: str) -> CrewDocument:
    """A crew whose agent names its own endpoint (as a received file may)."""
    doc = make_document(name, tasks=1)
    agent = doc.agents[0].model_copy(update={"base_url": url})
    return doc.model_copy(update={"agents": [agent]})


async def _box() -> QMessageBox:
    for _ in range(200):  # opened with open() on the running loop: no nested loop waits
        boxes = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.objectName() == "endpointsBox"
                 and w.isVisible()]
        if boxes:
            return boxes[0]
        await asyncio.sleep(0.02)
    raise AssertionError("the endpoints question did not open")


def test_the_first_run_names_each_address_and_the_answer_is_kept(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        view = DashboardView(services, RunController(services))
        qtbot.addWidget(view)
        view.show()
        crew_id = await services.library.asave(pointed("Received", sim.base_url))
        await view.load_crews()
        started = asyncio.ensure_future(view.run_crew(crew_id))
        box = await _box()
        assert sim.base_url in box.text() and "Received Writer" in box.text()
        assert "Prompts and keys of “Received” go to" in box.text()
        run = box.findChild(QPushButton, "endpointsRun")
        assert run is not None
        run.click()
        state = await started
        assert state is not None
        await view._controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert services.current_settings.confirmed_endpoints[crew_id] == [sim.base_url]
        assert (await services.settings.aload()).settings.confirmed_endpoints == {
            crew_id: [sim.base_url]}

        again = await asyncio.wait_for(view.run_crew(crew_id), 10)  # no question this time
        assert again is not None
        await view._controller.wait(again)
        await view._controller.aclose()
        await services.close()

    arun(scenario())


def test_cancel_runs_nothing_and_asks_again_next_time(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        view = DashboardView(services, RunController(services))
        qtbot.addWidget(view)
        view.show()
        crew_id = await services.library.asave(pointed("Doubtful", "https://elsewhere.example/v1"))
        await view.load_crews()
        started = asyncio.ensure_future(view.run_crew(crew_id))
        (await _box()).button(QMessageBox.StandardButton.Cancel).click()
        assert await started is None
        assert "Not run" in view.message.text()
        assert crew_id not in services.current_settings.confirmed_endpoints
        assert view._controller.runs == []
        started = asyncio.ensure_future(view.run_crew(crew_id))
        (await _box()).button(QMessageBox.StandardButton.Cancel).click()
        assert await started is None
        await view._controller.aclose()
        await services.close()

    arun(scenario())


def test_an_address_typed_in_the_designer_is_not_asked_about(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        designer = DesignerView(services)
        qtbot.addWidget(designer)
        await designer.ready()
        assert await designer.new_crew()
        designer.editor.set_field(("agents", 0, "base_url"), "http://localhost:9/v1")
        assert await designer.save(), designer.status()
        crew_id = designer.editor.crew_id
        assert crew_id is not None
        assert services.current_settings.confirmed_endpoints[crew_id] == ["http://localhost:9/v1"]
        await services.close()

    arun(scenario())
