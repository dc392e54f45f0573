"""Budgets and costs in the app (issue 16): a run stopped by its budget in the panel and the
History, cost per task and agent in the run panel, and the designer's budget fields and
Rehearse action."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from test_app_support import (
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    make_view,
    run_to_end,
    services_fixture,  # noqa: F401 - the `services` fixture
    sim_fixture,  # noqa: F401 - the `sim` fixture
    start_app,
    stop_app,
)

from desktop_app.documents.crewdesk_file import load_crew
from desktop_app.documents.model import BudgetSpec
from desktop_app.simulator import SimulatorThread
from desktop_app.storage.stop_reasons import stop_reasons
from desktop_app.ui.controllers import RunRequest, RunStatus
from desktop_app.ui.controllers.run_state import RunState
from desktop_app.ui.dashboard._cost_split import CostSplitLabel
from desktop_app.ui.history import HistoryView
from desktop_app.ui.services import AppServices

Run = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("gui_thread_gc")


@pytest.mark.usefixtures("litellm_loaded")
def test_a_run_stopped_by_its_budget_keeps_its_text_and_reads_stopped_by_budget(
    sim: SimulatorThread, arun: Run, qtbot: QtBot
) -> None:
    doc = make_document("Capped", model="openai/sim:tps=2000,tokens=400,ttft=0.005", tasks=2)
    doc = doc.model_copy(update={"settings": doc.settings.model_copy(
        update={"budget": BudgetSpec(tokens=150)})})

    async def scenario() -> None:
        services, controller = await start_app(sim)
        state = await run_to_end(controller, doc, expect=RunStatus.CANCELLED)
        assert any("stopped by budget" in w for w in state.warnings)
        assert any("of the run's budget of 150 tokens is used" in w for w in state.warnings)
        record = await services.history.get_run(state.run_id)
        assert record is not None and record.status == "cancelled"
        assert record.task_text.get(0, "").startswith("Answer to:")  # the partial output kept
        assert 1 not in record.task_text  # the second task never started
        assert "stopped by budget" in (record.error or "")
        assert await stop_reasons(services.history, [state.run_id]) == {state.run_id: "budget"}
        await controller.aclose()
        view = HistoryView(services)
        qtbot.addWidget(view)
        await view.refresh()
        row = view.model.row_of(state.run_id)
        assert view.model.index(row, 1).data() == "stopped by budget"
        await view.show_run(state.run_id)
        assert "stopped by budget" in view.header_label.text()
        await services.close()

    arun(scenario())


@pytest.mark.usefixtures("litellm_loaded")
def test_the_rows_of_a_batch_share_its_batch_budget(sim: SimulatorThread, arun: Run) -> None:
    doc = make_document("Rows", model="openai/sim:tps=2000,tokens=60,ttft=0.005", tasks=1)

    async def scenario() -> None:
        services, controller = await start_app(sim)
        alone = await run_to_end(controller, doc)
        assert not alone.warnings  # no batch: no budget
        capped = doc.model_copy(update={"settings": doc.settings.model_copy(
            update={"batch_budget": BudgetSpec(tokens=int(alone.total_tokens * 2.5))})})
        with controller.budgets.batch(capped):
            states = [controller.start(RunRequest(capped, {"topic": f"t{n}"}))
                      for n in range(4)]
        await asyncio.gather(*(controller.wait(state) for state in states))
        stopped = [s for s in states if any("the batch's budget" in w for w in s.warnings)]
        assert stopped and all(s.status is RunStatus.CANCELLED for s in stopped)
        assert sum(s.status is RunStatus.DONE for s in states) <= 2
        await stop_app(controller, services)

    arun(scenario())


def test_the_run_panel_splits_the_cost_per_task_and_per_agent(qtbot: QtBot) -> None:
    state = RunState("Split")
    label = CostSplitLabel(state)
    qtbot.addWidget(label)
    assert label.isHidden()
    state.start_task(0, 2, "Researcher")
    state.set_usage(100, 0.001)
    state.start_task(1, 2, "Writer")
    state.set_usage(250, 0.003)
    state.set_usage(250, 0.003)  # the closing totals add nothing
    assert label.text() == ("Task 1 $0.0010 · Task 2 $0.0020  |  "
                            "Researcher $0.0010 · Writer $0.0020")
    assert not label.isHidden()


def test_the_designer_sets_checks_and_undoes_budgets_and_rehearses(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services, height=900)
    fields = view.crew_page.budget

    def batch_budget() -> BudgetSpec | None:
        return view.editor.document.settings.batch_budget

    def type_in(row: Any, name: str, text: str) -> None:
        row.edits[name].setText(text)
        row.edits[name].editingFinished.emit()

    async def scenario() -> tuple[str, str]:
        await view.ready()
        assert await view.new_crew()
        type_in(fields.run_row, "dollars", "0.5")
        type_in(fields.run_row, "tokens", "20000")
        assert view.editor.document.settings.budget == BudgetSpec(dollars=0.5, tokens=20000)
        type_in(fields.run_row, "minutes", "soon")
        assert "minutes: “soon” is not a number" in fields.run_row.message()
        type_in(fields.batch_row, "dollars", "-2")
        assert fields.batch_row.message() == "dollars: must be above 0"
        assert batch_budget() is None  # a bad value is not kept
        type_in(fields.batch_row, "dollars", "40")
        assert batch_budget() == BudgetSpec(dollars=40)
        view.editor.undo_stack.undo()
        assert batch_budget() is None
        assert fields.batch_row.edits["dollars"].text() == ""
        view.editor.undo_stack.redo()
        fields.rows_box.setValue(200)
        estimate = await fields.rehearse()
        assert await view.save(), view.status()
        await asyncio.sleep(0)
        return estimate, str(view.editor.crew_id)

    estimate, crew_id = arun(scenario())
    assert estimate.startswith("about ") and "this 200-row batch about $" in estimate, estimate
    assert fields.estimate_label.text() == estimate
    saved = load_crew(services.library.path_of(crew_id)).settings
    assert saved.budget == BudgetSpec(dollars=0.5, tokens=20000)
    assert saved.batch_budget == BudgetSpec(dollars=40)
