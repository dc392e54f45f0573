"""The app keeps a run whose stream the network dropped as "failed" with stop reason
"network", and its next start offers it back like an interrupted run; resuming asks the model
only for the tasks left (the simulator's request count); a run whose key was refused is not
offered."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QTabWidget, QWidget
from pytestqt.qtbot import QtBot
from test_app_support import (
    litellm_loaded,  # noqa: F401 - a fixture
    make_services,
    sim_fixture,  # noqa: F401 - the `sim` fixture
)

from desktop_app.documents.model import AgentSpec, CrewDocument, InputSet, TaskSpec
from desktop_app.simulator import SimulatorThread
from desktop_app.storage.forks import RunForks
from desktop_app.storage.stop_reasons import NETWORK, stop_reasons
from desktop_app.ui.controllers import RunController, RunStatus
from desktop_app.ui.controllers.run_controller import RunRequest
from desktop_app.ui.history._resume import ResumeDialog, offer_resumes
from desktop_app.ui.services import AppServices

Run = Callable[..., Any]
FAST = "openai/sim:tps=2000,tokens=25,ttft=0.005"
DROPPING = FAST + ",drop_after=3"  # streams 3 chunks, then the connection is cut
REFUSED_KEY = "openai/sim:status=401"

pytestmark = pytest.mark.usefixtures("litellm_loaded")


@pytest.fixture(autouse=True)
def _dialogs_do_not_quit_the_app(qapp: QApplication) -> Iterator[None]:
    """Closing the last dialog must not quit the app (and stop the loop) as in `main()`."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


@pytest.fixture(autouse=True)
def _collect_qt_garbage_on_the_gui_thread() -> Iterator[None]:
    """See tests/ui/test_designer.py: keep Python's cyclic GC on the GUI thread."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def _document(name: str, first: str, rest: str) -> CrewDocument:
    """Three tasks: task 1 by an agent on `first`, tasks 2 and 3 by one on `rest`."""
    agents = [AgentSpec(key="scout", role=f"{name} Scout", goal="Find", backstory="Quick.",
                        llm=first),
              AgentSpec(key="writer", role=f"{name} Writer", goal="Write", backstory="Calm.",
                        llm=rest)]
    tasks = [TaskSpec(key=f"t{i}", description=f"{name} step {i + 1} about {{topic}}",
                      expected_output="A paragraph.", agent="scout" if i == 0 else "writer")
             for i in range(3)]
    return CrewDocument(name=name, agents=agents, tasks=tasks,
                        input_sets=[InputSet(name="default", values={"topic": "owls"})])


def _host(services: AppServices, controller: RunController) -> SimpleNamespace:
    dashboard = QWidget()
    dashboard.dry_run = QCheckBox(dashboard)  # type: ignore[attr-defined]
    tabs = QTabWidget()
    tabs.addTab(dashboard, "Dashboard")
    return SimpleNamespace(services=services, controller=controller, dashboard=dashboard,
                           tabs=tabs)


async def _ran(controller: RunController, document: CrewDocument) -> str:
    state = controller.start(RunRequest(document, document.default_inputs()))
    await controller.wait(state)
    assert state.status is RunStatus.FAILED
    return state.run_id


def test_a_dropped_stream_is_offered_and_resuming_asks_only_for_the_tasks_left(
    sim: SimulatorThread, qtbot: QtBot, arun: Run
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        controller = RunController(services)
        cut = await _ran(controller, _document("Owls", FAST, DROPPING))
        refused = await _ran(controller, _document("Bats", REFUSED_KEY, FAST))
        history = services.history
        assert await stop_reasons(history, [cut, refused]) == {cut: NETWORK}
        dialog = await offer_resumes(_host(services, controller))
        assert isinstance(dialog, ResumeDialog)
        qtbot.addWidget(dialog)
        assert [o.run_id for o in dialog.offers] == [cut]  # not the refused key's run
        finished = dialog.table.item(0, 2)
        intro = dialog.findChild(QLabel, "resumeIntro")
        assert finished is not None and finished.text() == "1 of 3 tasks"
        assert intro is not None and "network" in intro.text()
        assert dialog.estimated is not None
        dialog.estimated.cancel()
        before = len(sim.stats.requests)
        [state] = await dialog.resume_selected()
        await controller.wait(state)
        asked = [str(r.body["messages"]) for r in sim.stats.requests[before:]]
        # Task 1 is not asked again; task 2's stream is cut again (the same model string),
        # so the resumed run is the one offered now, and the first is decided.
        assert len(asked) == 1 and "Owls step 2 about owls" in asked[0], asked
        assert state.status is RunStatus.FAILED
        record = await history.get_run(state.run_id)
        first = await history.get_run(cut)
        assert record is not None and first is not None
        assert record.task_outputs[0].raw == first.task_outputs[0].raw
        assert await stop_reasons(history, [cut, state.run_id]) == {
            cut: "resumed", state.run_id: NETWORK}
        assert [o.run_id for o in await RunForks(history).offers()] == [state.run_id]
        await controller.aclose()
        await services.close()

    arun(scenario())
