"""The app keeps a run whose stream the network dropped as "failed" with stop reason
"network", and its next start offers it back like an interrupted run; resuming asks the model
only for the tasks left (the simulator's request count); a run whose key was refused is not
offered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from test_app_support import (
    dialog_host,
    dialogs_keep_the_app_fixture,  # noqa: F401 - the `dialogs_keep_the_app` fixture
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    litellm_loaded,  # noqa: F401 - a fixture
    run_to_end,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    start_app,
    stop_app,
)

from desktop_app.documents.model import AgentSpec, CrewDocument, InputSet, TaskSpec
from desktop_app.simulator import SimulatorThread
from desktop_app.storage.forks import RunForks
from desktop_app.storage.stop_reasons import NETWORK, stop_reasons
from desktop_app.ui.controllers import RunController, RunStatus
from desktop_app.ui.history._resume import ResumeDialog, offer_resumes

Run = Callable[..., Any]
FAST = "openai/sim:tps=2000,tokens=25,ttft=0.005"
DROPPING = FAST + ",drop_after=3"  # streams 3 chunks, then the connection is cut
REFUSED_KEY = "openai/sim:status=401"

pytestmark = pytest.mark.usefixtures("dialogs_keep_the_app", "gui_thread_gc", "litellm_loaded")


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


async def _ran(controller: RunController, document: CrewDocument) -> str:
    return (await run_to_end(controller, document, expect=RunStatus.FAILED)).run_id


def test_a_dropped_stream_is_offered_and_resuming_asks_only_for_the_tasks_left(
    sim: SimulatorThread, qtbot: QtBot, arun: Run
) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        cut = await _ran(controller, _document("Owls", FAST, DROPPING))
        refused = await _ran(controller, _document("Bats", REFUSED_KEY, FAST))
        history = services.history
        assert await stop_reasons(history, [cut, refused]) == {cut: NETWORK}
        dialog = await offer_resumes(dialog_host(services, controller))
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
        await stop_app(controller, services)

    arun(scenario())
