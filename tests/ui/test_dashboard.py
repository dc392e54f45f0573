"""The dashboard through its widgets: crews, inputs, runs, panels, stop, errors, batches."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot
from test_app_support import (
    TEST_KEY,
    close_dashboard,
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    open_dashboard,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.ui.controllers import RunStatus
from desktop_app.ui.dashboard import DashboardView

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


def _column(view: DashboardView, index: int) -> int:
    """The grid column of the panel at `index` (PySide6 types the position as object)."""
    position = cast("tuple[int, int, int, int]", view.grid._grid.getItemPosition(index))
    return position[1]


def test_two_checked_crews_fill_their_own_panels(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        alpha = await services.library.asave(make_document("Alpha", topic="owls"))
        beta = await services.library.asave(make_document("Beta", topic="bees"))
        await view.load_crews()
        assert {alpha, beta} <= set(view.picker.ids())
        view.picker.set_checked(alpha)
        view.picker.set_checked(beta)
        await view.select_crew(beta)
        view.inputs.field("topic").setText("wasps")  # typed, replaces the input set
        view.mode.setCurrentIndex(view.mode.findData("kickoff_async"))
        view.run_button.click()
        await wait_until(lambda: len(view.grid.panels) == 2)
        panels = {panel.state.crew_name: panel for panel in view.grid.panels}
        await wait_until(lambda: all(p.state.status.is_terminal for p in panels.values()))
        for name, topic in (("Alpha", "owls"), ("Beta", "wasps")):
            panel = panels[name]
            assert panel.state.status is RunStatus.DONE, panel.state.error
            assert panel.state.mode == "kickoff_async"
            record = await services.history.get_run(panel.state.run_id)
            assert record is not None
            shown = panel.shown_text()
            position = 0
            for output in record.task_outputs:  # every chunk, in order, in its own panel
                assert output.raw.startswith(f"Answer to: Current Task: {name} step")
                assert topic in output.raw
                position = shown.index(output.raw, position) + len(output.raw)
            assert panel.task_label.text() == "2 of 2 tasks done"
            assert "tokens" in panel.stats_label.text()
            assert panel.stats_label.text().endswith("—")  # the simulator has no price
        assert view.summary.text() == "2 done"
        await close_dashboard(view, services)

    arun(scenario())


def test_stop_in_a_panel_keeps_its_text(sim: SimulatorThread, qtbot: QtBot, arun: Arun) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        doc = make_document("Slow", model="openai/sim:tps=40,tokens=400,ttft=0.01", tasks=1)
        state = view.start(doc, doc.default_inputs())
        panel = view.grid.panel_for(state.run_id)
        assert panel is not None and panel.status_label.text() in ("queued", "running")
        await wait_until(lambda: "Answer to:" in panel.shown_text())
        await asyncio.sleep(0.2)
        panel.stop_button.click()
        await view._controller.wait(state)
        assert state.status is RunStatus.CANCELLED
        assert panel.status_label.text() == "cancelled"
        assert not panel.stop_button.isEnabled()
        assert panel.shown_text().startswith("── Task 1 of 1")
        assert len(panel.shown_text()) > 40
        await wait_until(lambda: sim.stats.streams_aborted_by_client >= 1)
        await close_dashboard(view, services)

    arun(scenario())


def test_an_auth_error_shows_in_its_panel_while_the_other_finishes(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        asked: list[bool] = []
        view.settingsRequested.connect(lambda _provider_id: asked.append(True))
        good = make_document("Good")
        bad = make_document("Bad", model="openai/sim:status=401")
        ok = view.start(good, good.default_inputs())
        failed = view.start(bad, bad.default_inputs())
        await asyncio.gather(view._controller.wait(ok), view._controller.wait(failed))
        assert ok.status is RunStatus.DONE
        panel = view.grid.panel_for(failed.run_id)
        assert panel is not None
        assert panel.status_label.text() == "failed"
        assert panel.error_label.isVisible()
        assert "refused" in panel.error_label.text()
        assert 'href="settings:local"' in panel.error_label.text()
        assert TEST_KEY not in panel.error_label.text()
        assert f"✗ {failed.error}" in panel.shown_text()  # the whole message, in the text
        assert TEST_KEY not in panel.shown_text() and TEST_KEY not in failed.transcript()
        panel.error_label.linkActivated.emit("settings:local")
        assert asked == [True]
        await close_dashboard(view, services)

    arun(scenario())


def test_for_each_rows_from_a_jsonl_file(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        crew = await services.library.asave(make_document("Batch", tasks=1))
        await view.load_crews()
        await view.select_crew(crew)
        lines = [json.dumps({"topic": t}) for t in ("moss", "ferns", "algae")]
        path = tmp_path / "inputs.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert await view.load_batch_file(path) == 3
        states = await view.run_batch()
        assert [s.inputs["topic"] for s in states] == ["moss", "ferns", "algae"]
        await asyncio.gather(*(view._controller.wait(s) for s in states))
        for state, topic in zip(states, ("moss", "ferns", "algae"), strict=True):
            assert state.status is RunStatus.DONE
            assert f"about {topic}" in state.transcript()
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"topic": "x"}\n[1, 2]\n', encoding="utf-8")
        assert await view.load_batch_file(bad) == 0
        assert "line 2" in view.message.text()
        await close_dashboard(view, services)

    arun(scenario())


def test_missing_inputs_are_named_and_nothing_runs(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        crew = await services.library.asave(make_document("Needy"))
        await view.load_crews()
        await view.select_crew(crew)
        view.picker.set_checked(crew)
        view.inputs.field("topic").setText("")
        assert await view.run_checked() == []
        assert "topic" in view.message.text()
        assert view.grid.panels == []
        await close_dashboard(view, services)

    arun(scenario())


def test_copy_save_and_clear_finished(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        doc = make_document("Copied", tasks=1)
        state = view.start(doc, doc.default_inputs())
        await view._controller.wait(state)
        panel = view.grid.panel_for(state.run_id)
        assert panel is not None
        panel.copy_button.click()
        assert QGuiApplication.clipboard().text() == state.transcript()
        target = tmp_path / "out.txt"
        await panel.save_to(target)
        assert target.read_text(encoding="utf-8") == state.transcript()
        view.clear_button.click()
        assert view.grid.panels == [] and view.summary.text() == "No runs"
        await close_dashboard(view, services)

    arun(scenario())


def test_the_grid_reflows_with_the_width(sim: SimulatorThread, qtbot: QtBot, arun: Arun) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        view._controller.set_concurrency_limit(1)
        doc = make_document("Grid", model="openai/sim:tps=20,tokens=200", tasks=1)
        states = [view.start(doc, doc.default_inputs()) for _ in range(4)]
        assert [s.status for s in states[1:]] == [RunStatus.QUEUED] * 3
        view.resize(1900, 800)
        await asyncio.sleep(0.05)
        wide = {_column(view, i) for i in range(4)}
        view.resize(700, 800)
        await asyncio.sleep(0.05)
        narrow = {_column(view, i) for i in range(4)}
        assert len(wide) > len(narrow) == 1
        view.stop_all()
        await asyncio.gather(*(view._controller.wait(s) for s in states))
        assert all(s.status is RunStatus.CANCELLED for s in states)
        await close_dashboard(view, services)

    arun(scenario())


def test_a_hidden_dashboard_keeps_text_back_and_catches_up(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        doc = make_document("Unseen", tasks=1)
        view.hide()  # as when another tab is shown
        state = view.start(doc, doc.default_inputs())
        await view._controller.wait(state)
        view.grid.build_pending()
        panel = view.grid._panels[0]
        assert panel.output.has_backlog
        assert panel.output.document().isEmpty()  # nothing laid out while unseen
        view.show()
        await wait_until(lambda: not panel.output.has_backlog)
        assert panel.output.shown_text() == state.transcript()
        await close_dashboard(view, services)

    arun(scenario())
