"""Issue 14: a dashboard that scales: filter and sort the runs, and a compact list for 10+.

Real widgets, real runs on the simulator. The filter box keeps the runs whose crew, inputs or
status hold the words typed; the sort puts them as started, by crew name, or by status with
the runs waiting for you first. From ten runs the dashboard shows a compact list, one line
per run, with the selected run's panel beside; the user can turn it off (or on) and that
choice holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from test_app_support import (
    close_dashboard,
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    make_services,
    open_dashboard,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.ui.controllers import RunState, RunStatus
from desktop_app.ui.dashboard import DashboardView
from desktop_app.ui.dashboard._runs_area import COMPACT_AT
from desktop_app.ui.dashboard._waiting import WAITING_TEXT

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")

FAST = "openai/sim:tps=2000,tokens=8,ttft=0.001"


def _shown(view: DashboardView) -> list[str]:
    """The runs whose panels show, in order (crew name and topic)."""
    panels = view.grid.shown_panels()
    assert all(p.isVisible() for p in panels)
    hidden = [p for p in view.grid.panels if p not in panels]
    assert not any(p.isVisible() for p in hidden)
    return [f"{p.state.crew_name}:{p.state.inputs['topic']}" for p in panels]


def test_the_filter_and_the_sort_pick_and_order_the_run_panels(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        plan = [("Gamma", "owls"), ("Alpha", "bees"), ("Beta", "owls"), ("Alpha", "ants")]
        states = [view.start(make_document(name, model=FAST, tasks=1), {"topic": topic})
                  for name, topic in plan]
        for state in states:
            await view._controller.wait(state)
        asked = make_document("Delta", model=FAST, tasks=1)
        asked.tasks[0].human_input = True
        waiting = view.start(asked, {"topic": "moths"})
        await wait_until(lambda: waiting.pending_input is not None)
        await wait_until(lambda: len(view.grid.panels) == 5)
        bar = view.runs.arrange_bar
        assert not view.runs.compact  # fewer than 10 runs: the grid of panels
        assert _shown(view) == ["Gamma:owls", "Alpha:bees", "Beta:owls", "Alpha:ants",
                                "Delta:moths"]

        bar.filter_box.setText("OWLS")  # inputs, any case
        await wait_until(lambda: len(view.grid.shown_panels()) == 2)
        assert _shown(view) == ["Gamma:owls", "Beta:owls"]
        bar.filter_box.setText("alpha")  # the crew name
        assert _shown(view) == ["Alpha:bees", "Alpha:ants"]
        bar.filter_box.setText("waiting")  # the status
        assert _shown(view) == ["Delta:moths"]
        bar.filter_box.setText("done owls")  # every word must match
        assert _shown(view) == ["Gamma:owls", "Beta:owls"]
        bar.filter_box.clear()

        bar.sort_box.setCurrentText("Crew name")
        assert _shown(view) == ["Alpha:bees", "Alpha:ants", "Beta:owls", "Delta:moths",
                                "Gamma:owls"]
        bar.sort_box.setCurrentText("Status (waiting first)")
        assert _shown(view)[0] == "Delta:moths"
        panel = view.grid.panel_for(waiting.run_id)
        assert panel is not None and panel.status_label.text() == WAITING_TEXT
        panel.input_bar.approve_button.click()  # no longer waiting: done, so last
        await view._controller.wait(waiting)
        await wait_until(lambda: _shown(view)[-1] == "Delta:moths")
        bar.sort_box.setCurrentText("Started")
        assert _shown(view)[0] == "Gamma:owls"
        await close_dashboard(view, services)

    arun(scenario())


def _click_line(view: DashboardView, run_id: str) -> None:
    run_list = view.runs.run_list
    index = run_list.run_ids().index(run_id)
    item = run_list.topLevelItem(index)
    assert item is not None
    rect = run_list.visualItemRect(item)
    QTest.mouseClick(run_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_ten_runs_show_a_compact_list_with_the_selected_runs_panel_beside(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        view.dry_run.setChecked(True)
        doc = make_document("Many", model=FAST, tasks=1)
        states: list[RunState] = []
        for index in range(COMPACT_AT - 1):
            states.append(view.start(doc, {"topic": f"topic {index}"}))
        assert not view.runs.compact and not view.runs.run_list.isVisible()
        states.append(view.start(doc, {"topic": "the tenth"}))
        assert view.runs.compact  # by itself, from ten runs
        assert view.runs.arrange_bar.compact_button.isChecked()
        for state in states:
            await view._controller.wait(state)
        run_list = view.runs.run_list
        assert run_list.isVisible()
        assert run_list.run_ids() == [s.run_id for s in states]
        crew, badge, status, elapsed, cost = run_list.line(states[3].run_id)
        assert crew == "Many · topic: topic 3"
        assert badge == "SIMULATOR" and status == "done"
        assert elapsed.endswith(" s") and cost.startswith(("$", "—"))
        await wait_until(lambda: len(view.grid.shown_panels()) == 1)
        assert view.grid.shown_panels()[0].state is states[-1]  # the newest, just added
        assert view.grid.built == 1  # the other runs streamed into no panel at all

        _click_line(view, states[6].run_id)
        assert view.grid.built == 2
        later = view.grid.shown_panels()[0]
        assert later.state is states[6] and later.isVisible()
        await wait_until(lambda: "Answer to:" in later.output.toPlainText())
        hidden = view.grid.panel_for(states[7].run_id)  # built now, never selected
        assert hidden is not None and not hidden.isVisible()
        assert hidden.output.has_backlog  # hidden: its text costs no layout

        view.runs.arrange_bar.filter_box.setText("tenth")  # the filter applies to the list
        assert run_list.run_ids() == [states[-1].run_id]

        view.runs.arrange_bar.compact_button.click()  # the user wants the grid back
        assert not view.runs.compact and not run_list.isVisible()
        assert [p.state for p in view.grid.shown_panels()] == [states[-1]]
        view.runs.arrange_bar.filter_box.clear()
        assert len(view.grid.shown_panels()) == COMPACT_AT
        eleventh = view.start(doc, {"topic": "one more"})
        assert not view.runs.compact  # the user's choice holds
        await view._controller.wait(eleventh)
        assert eleventh.status is RunStatus.DONE
        await close_dashboard(view, services)

    arun(scenario())


def test_clearing_the_finished_runs_goes_back_to_the_grid(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        doc = make_document("Many", model=FAST, tasks=1)
        states = [view.start(doc, {"topic": f"t{index}"}) for index in range(COMPACT_AT)]
        for state in states:
            await view._controller.wait(state)
        assert view.runs.compact
        view.clear_button.click()
        assert view.runs.run_list.run_ids() == []
        assert not view.runs.compact and view.summary.text() == "No runs"
        await close_dashboard(view, services)

    arun(scenario())


def test_flow_runs_sit_in_the_runs_area_above_the_filter(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        from desktop_app.ui.flows._window import flows_of
        from desktop_app.ui.main_window import MainWindow

        services = await make_services(sim.base_url)
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        await window.start()
        runs = window.dashboard.runs
        flow_tabs = flows_of(window).runs
        assert flow_tabs.parentWidget() is runs  # not a window of its own
        layout = runs.layout()
        assert layout is not None and layout.indexOf(flow_tabs) == 1
        assert layout.indexOf(runs.arrange_bar) == 2
        await window.controller.aclose()
        await services.close()

    arun(scenario())


def test_a_waiting_run_in_the_compact_list_shows_its_question_when_selected(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        asked = make_document("Asked", model=FAST, tasks=1)
        asked.tasks[0].human_input = True
        waiting = view.start(asked, {"topic": "moths"})
        doc = make_document("Many", model=FAST, tasks=1)
        states = [view.start(doc, {"topic": f"t{index}"}) for index in range(COMPACT_AT)]
        assert view.runs.compact
        for state in states:
            await view._controller.wait(state)
        await wait_until(lambda: waiting.pending_input is not None)
        run_list = view.runs.run_list
        assert run_list.line(waiting.run_id)[2] == WAITING_TEXT
        assert view.summary.text().startswith("1 waiting for you")
        assert view.grid.built == 1  # the newest run's panel only

        _click_line(view, waiting.run_id)  # its panel is built now, with the question
        panel = view.grid.shown_panels()[0]
        assert panel.state is waiting
        await wait_until(panel.input_bar.isVisible)
        panel.input_bar.approve_button.click()
        await view._controller.wait(waiting)
        assert waiting.status is RunStatus.DONE
        assert run_list.line(waiting.run_id)[2] == "done"
        assert not view.summary.text().startswith("1 waiting")
        await close_dashboard(view, services)

    arun(scenario())
