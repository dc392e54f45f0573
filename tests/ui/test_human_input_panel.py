"""Human input and hierarchical crews in the dashboard, with real widgets and the simulator.

A task with `human_input` shows a prompt in its own run's panel; the person types feedback
and presses Send (the agent revises) or Approve. Other runs keep streaming meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from test_app_support import (
    close_dashboard,
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    open_dashboard,
    panel_of,
    reviewed,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    start_app,
    stop_app,
    wait_until,
)

from desktop_app.documents.model import AgentSpec, CrewDocument, CrewSettings, TaskSpec
from desktop_app.simulator import SimulatorThread
from desktop_app.ui.controllers import RunRequest, RunStatus
from desktop_app.ui.controllers.run_controller import RunMode

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


@pytest.mark.parametrize("mode", ["akickoff", "kickoff_async"])
def test_feedback_typed_in_the_panel_revises_the_answer_while_other_runs_stream(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, mode: RunMode
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        doc = reviewed("Asked")
        state = view.start(doc, doc.default_inputs(), mode=mode)
        panel = await panel_of(view, state.run_id)
        bar = panel.input_bar
        await wait_until(bar.isVisible)
        assert bar.title.text() == "Asked Writer finished task 1 of 1: your feedback?"
        other = make_document("Other")
        meanwhile = view.start(other, other.default_inputs())
        await view._controller.wait(meanwhile)  # streams to its end while Asked waits
        assert meanwhile.status is RunStatus.DONE
        assert state.status.value == "running"

        bar.field.setText("Mention the whiskers")
        bar.send_button.click()
        assert not bar.send_button.isEnabled()  # one answer per question
        await wait_until(lambda: bar.isVisible() and bar.send_button.isEnabled())
        assert bar.title.text().endswith("task 1 of 1 (round 2): your feedback?")
        assert "✎ Mention the whiskers" in panel.shown_text()
        bar.approve_button.click()
        await view._controller.wait(state)

        assert state.status is RunStatus.DONE, state.error
        assert not bar.isVisible()
        assert "✓ approved" in panel.shown_text()
        record = await services.history.get_run(state.run_id)
        assert record is not None
        assert record.task_outputs[0].raw.startswith(
            "Answer to: User feedback: Mention the whiskers."
        )
        await close_dashboard(view, services)

    arun(scenario())


@pytest.mark.parametrize("mode", ["akickoff", "kickoff_async"])
def test_stopping_a_run_that_waits_for_feedback_cancels_the_wait(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, mode: RunMode
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        doc = reviewed("Waiting")
        state = view.start(doc, doc.default_inputs(), mode=mode)
        panel = await panel_of(view, state.run_id)
        await wait_until(panel.input_bar.isVisible)
        panel.stop_button.click()
        await view._controller.wait(state)
        assert state.status is RunStatus.CANCELLED
        assert not panel.input_bar.isVisible() and state.pending_input is None
        assert not view._controller.answer(state.run_id, "too late")
        await close_dashboard(view, services)

    arun(scenario())


def test_a_hierarchical_crew_shows_which_agent_speaks(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        delegate = json.dumps({"coworker": "Cat Writer", "task": "Draft the cat note"})
        doc = CrewDocument(
            name="Managed",
            process="hierarchical",
            settings=CrewSettings(manager_llm="openai/sim:tokens=12"),
            agents=[
                AgentSpec(
                    key="writer",
                    role="Cat Writer",
                    goal="Write",
                    backstory="Cats.",
                    llm="openai/sim:tokens=12",
                )
            ],
            tasks=[
                TaskSpec(
                    key="note",
                    description=f"Plan the note\nsim-call: Delegate_work_to_coworker {delegate}",
                    expected_output="A note.",
                )
            ],
        )
        state = view.start(doc, {})
        await view._controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        panel = view.grid.panel_for(state.run_id)
        assert panel is not None
        shown = panel.shown_text()
        heading = shown.index("── Task 1 of 1 · Crew Manager ──")
        writer = shown.index("▸ Cat Writer\nAnswer to: Current Task: Draft the cat note.")
        manager = shown.index("▸ Crew Manager\nResult: Answer to: Current Task: Draft the cat")
        tool = shown.index("⚙ Delegate_work_to_coworker(")
        assert heading < tool < writer < manager
        await close_dashboard(view, services)

    arun(scenario())


def test_two_questions_of_one_run_are_shown_one_after_the_other(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        doc = make_document("Twins", tasks=2)
        for task in doc.tasks:
            task.human_input = True
            task.extra = {}
        doc.tasks[1].context = []
        state = view.start(doc, doc.default_inputs())
        panel = await panel_of(view, state.run_id)
        for expected in ("task 1 of 2", "task 2 of 2"):
            await wait_until(
                lambda: panel.input_bar.isVisible() and panel.input_bar.send_button.isEnabled()
            )
            assert expected in panel.input_bar.title.text()
            panel.input_bar.field.setText("")
            panel.input_bar.field.returnPressed.emit()  # Enter on an empty field approves
        await view._controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert panel.shown_text().count("✓ approved") == 2
        await close_dashboard(view, services)

    arun(scenario())


def test_the_controller_answers_only_runs_that_wait(sim: SimulatorThread, arun: Arun) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        doc = reviewed("Direct")
        state = controller.start(RunRequest(doc, doc.default_inputs()))
        assert not controller.answer(state.run_id, "early")
        await wait_until(lambda: state.pending_input is not None)
        assert state.pending_input is not None and state.pending_input.round == 1
        assert controller.answer(state.run_id, "")
        await controller.wait(state)
        assert state.status is RunStatus.DONE
        await stop_app(controller, services)

    arun(scenario())
