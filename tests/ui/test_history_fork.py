"""History's "Fork here" and "Compare": a fork runs through the run controller from task N
(the tasks before it make no model call: the simulator's request count proves it), shows under
its run in the table, and compares with it task by task."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from test_app_support import (
    dialog_host,
    dialogs_keep_the_app_fixture,  # noqa: F401 - the `dialogs_keep_the_app` fixture
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    make_services,
    run_to_end,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    start_app,
    stop_app,
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.storage.forks import RunForks
from desktop_app.ui.controllers import RunController, RunStatus
from desktop_app.ui.history import HistoryView
from desktop_app.ui.history._compare import CompareDialog
from desktop_app.ui.history._fork import ForkChoice, ForkDialog, launch_fork

Run = Callable[..., Any]
SHOTS = os.environ.get("CREWDESK_SHOTS")  # a folder: the dialogs are saved there as PNG

pytestmark = pytest.mark.usefixtures("dialogs_keep_the_app", "gui_thread_gc", "litellm_loaded")


async def _first_run(controller: RunController) -> str:
    return (await run_to_end(controller, make_document("Tides", tasks=3))).run_id


def _shot(widget: QWidget, name: str) -> None:
    if SHOTS:
        widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


def test_fork_here_runs_from_task_3_and_shows_under_its_run(
    sim: SimulatorThread, qtbot: QtBot, arun: Run
) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        view = HistoryView(services)
        qtbot.addWidget(view)
        view.resize(1100, 700)
        parent = await _first_run(controller)
        assert len(sim.stats.requests) == 3
        await view.refresh()
        await view.show_run(parent)
        dialog = view.open_fork(start=2)
        assert dialog is not None
        assert "reuse their stored outputs" in dialog.summary.text()
        dialog.description.setPlainText("Tides step 3, shorter, about {topic}")
        dialog.model_edit.setText("openai/sim:tps=2000,tokens=12,ttft=0.005")
        chosen: list[ForkChoice] = []
        view.forkRequested.connect(chosen.append)
        _shot(dialog, "fork_dialog")
        assert dialog.submit() is not None and len(chosen) == 1
        host = dialog_host(services, controller, view)
        state = launch_fork(host, chosen[0])
        await controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert len(sim.stats.requests) == 4  # task 3 only
        panel_text = state.transcript()
        assert "Task 1 (t0): its stored output is reused (no model call)" in panel_text
        assert "Task 2 (t1): its stored output is reused" in panel_text
        assert "Tides step 3, shorter, about cats" in str(sim.stats.requests[3].body["messages"])
        links = await RunForks(services.history).links()
        assert (links[state.run_id].parent_run_id, links[state.run_id].fork_task_index) == (
            parent, 2)
        record = await services.history.get_run(state.run_id)
        assert record is not None and len(record.task_outputs) == 3
        await view.refresh()
        ids = [run.run_id for run in view.model.runs]
        assert ids.index(state.run_id) == ids.index(parent) + 1  # right under its run
        assert view.model.labels[state.run_id].endswith("fork from task 3")
        assert view.select_run(state.run_id)  # its record loads in the background
        await wait_until(lambda: view.record is not None and view.record.run_id == state.run_id)
        assert record.task_outputs[2].raw in view.tab_texts().values()
        _shot(view, "history_with_fork")
        await stop_app(controller, services)

    arun(scenario())


def test_compare_shows_the_changed_task_and_settings(
    sim: SimulatorThread, qtbot: QtBot, arun: Run
) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        view = HistoryView(services)
        qtbot.addWidget(view)
        parent = await _first_run(controller)
        await view.refresh()
        record = await view.show_run(parent)
        assert record is not None
        dialog = ForkDialog(record, 1)
        qtbot.addWidget(dialog)
        dialog.description.setPlainText("Write it as a poem about {topic}")
        choice = dialog.choice()
        state = launch_fork(dialog_host(services, controller, view), choice)
        await controller.wait(state)
        await view.refresh()
        await view.show_run(state.run_id)
        compare = view.open_compare()
        assert isinstance(compare, CompareDialog) and compare.loaded is not None
        await compare.loaded
        diff = compare.diff
        assert diff is not None and diff.right.run_id == parent  # a fork compares with its run
        assert diff.tasks[0].same and not diff.tasks[1].same
        paths = [change.path for change in diff.settings]
        assert "crew.tasks.t1.description" in paths
        rows = {row[0]: row for row in compare.figure_rows()}
        assert rows["Total tokens"][1] != "—" and rows["Total tokens"][2] != "—"
        assert rows["crew.tasks.t1.description"][1] == '"Write it as a poem about {topic}"'
        compare.resize(1000, 680)
        _shot(compare, "compare_dialog")
        compare.tabs.setCurrentIndex(1)
        _shot(compare, "compare_differences")
        compare.close()
        await stop_app(controller, services)

    arun(scenario())


def test_the_fork_dialog_names_what_is_wrong(
    sim: SimulatorThread, qtbot: QtBot, arun: Run
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        history = services.history
        snapshot = make_document("Half", tasks=3).model_dump(mode="json")
        run_id = await history.start_run("Half", crew_snapshot=snapshot, inputs={"topic": "x"})
        await history.record_task_output(run_id, 0, raw="only the first")
        record = await history.get_run(run_id)
        assert record is not None
        dialog = ForkDialog(record, 2)
        qtbot.addWidget(dialog)
        assert not dialog.run_button.isEnabled()
        assert "task 2 of run" in dialog.error_label.text()
        dialog.task_box.setCurrentIndex(1)
        assert dialog.run_button.isEnabled()
        dialog.inputs_edit.setPlainText("[1, 2]")
        emitted: list[object] = []
        dialog.chosen.connect(emitted.append)
        assert dialog.submit() is None and emitted == []
        assert "must be a JSON object" in dialog.error_label.text()
        dialog.inputs_edit.setPlainText("{not json")
        assert dialog.submit() is None
        assert "not valid JSON" in dialog.error_label.text()
        await asyncio.sleep(0)
        await services.close()

    arun(scenario())


def test_a_fork_of_a_project_run_asks_for_its_project(
    sim: SimulatorThread, qtbot: QtBot, arun: Run
) -> None:
    from desktop_app.ui.controllers.run_controller import PROJECT_SNAPSHOT_KEY

    async def scenario() -> None:
        services, controller = await start_app(sim)
        view = HistoryView(services)
        qtbot.addWidget(view)
        snapshot = make_document("Proj", tasks=2).model_dump(mode="json")
        snapshot["settings"]["extra"][PROJECT_SNAPSHOT_KEY] = "project:/nowhere/proj"
        run_id = await services.history.start_run("Proj", crew_snapshot=snapshot,
                                                  inputs={"topic": "x"})
        await services.history.record_task_output(run_id, 0, raw="kept")
        record = await services.history.get_run(run_id)
        assert record is not None
        dialog = ForkDialog(record, 1)
        qtbot.addWidget(dialog)
        with pytest.raises(ValueError, match="Open the CrewAI project /nowhere/proj first"):
            launch_fork(dialog_host(services, controller, view), dialog.choice())
        assert controller.runs == [] and sim.stats.requests == []
        await stop_app(controller, services)

    arun(scenario())
