"""Flows in the app: a Flow project opens as its graph; its runs light the nodes up.

Real window, real project code (`tests/ui/fixtures/branch_flow`: pick -> router judge ->
"long" (a crew) or "short" -> publish), real HTTP to the simulator (dry runs), real SQLite
history.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot
from test_app_support import close_window, make_services, open_window, sim_fixture, wait_until  # noqa: F401 - fixture

from desktop_app import compat
from desktop_app.simulator import SimulatorThread
from desktop_app.storage.history import RunHistory
from desktop_app.storage.settings import Settings
from desktop_app.ui.controllers.flow_controller import REAL_RUN_NOTE
from desktop_app.ui.controllers.flow_state import FlowRunState, FlowStatus, NodeStatus
from desktop_app.ui.flows._window import FlowSupport, flows_of
from desktop_app.ui.main_window import MainWindow

Arun = Callable[..., Any]

FIXTURE = Path(__file__).parent / "fixtures" / "branch_flow"
STEPS = ["pick", "judge", "write_long", "write_short", "publish"]


@pytest.fixture(autouse=True)
def _hook_put_back() -> Iterator[None]:
    """The app keeps the crewai import hook once a flow ran; other tests get it as it was."""
    was = compat.is_installed()
    yield
    if not was:
        compat.uninstall()


def _copy(source: Path, tmp_path: Path) -> Path:
    """A copy of the flow project `source` in the test's folder (its runs write there)."""
    root = tmp_path / source.name
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture
def flow_root(tmp_path: Path) -> Path:
    return _copy(FIXTURE, tmp_path)


async def _answer_trust(window: MainWindow, button: str = "trustButton") -> None:
    await wait_until(lambda: (box := window.findChild(QMessageBox, "trustBox")) is not None
                     and box.isVisible())
    box = window.findChild(QMessageBox, "trustBox")
    assert box is not None
    found = box.findChild(QPushButton, button)
    assert found is not None
    found.click()


async def _close(window: MainWindow) -> None:
    await close_window(window, 20)
    await asyncio.sleep(0.05)


async def _opened(qtbot: QtBot, sim: SimulatorThread, root: Path,
                  button: str = "trustButton") -> tuple[MainWindow, FlowSupport]:
    services = await make_services(sim.base_url)
    window = await open_window(qtbot, services)
    answering = asyncio.ensure_future(_answer_trust(window, button))
    assert await window.open_project(root) is None  # a flow is no crew: shown by ui.flows
    await answering
    return window, flows_of(window)


def _steps_in_order(state: FlowRunState, status: NodeStatus) -> list[str]:
    return [step for step, seen in state.sequence if seen is status]


def test_opening_a_flow_project_shows_its_graph(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, flow_root: Path
) -> None:
    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, flow_root)
        view = flows.views[flow_root]
        assert window.designer.tabs.currentWidget() is view
        assert window.tabs.currentWidget() is window.designer
        graph = view.graph_view
        assert graph is not None and list(graph.nodes) == STEPS
        assert set(graph.edge_labels) == {
            ("pick", "judge", ""), ("judge", "write_long", "long"),
            ("judge", "write_short", "short"), ("write_long", "publish", "or"),
            ("write_short", "publish", "or")}
        assert graph.nodes["pick"].start and not graph.nodes["publish"].start
        assert graph.nodes["pick"].label.text().startswith("▶ pick")
        assert "crew: WriterCrew" in graph.nodes["write_long"].label.text()
        assert "router" in graph.nodes["judge"].label.text()
        source = (flow_root / "src/branch_flow/main.py").read_text().splitlines()
        line = source.index("    @router(pick)") + 1  # inspect's line: the decorator's
        assert graph.nodes["judge"].toolTip() == f"{flow_root}/src/branch_flow/main.py:{line}"
        assert window.services.current_settings.project_trust == {str(flow_root): True}
        assert view.run_button.isEnabled()
        await _close(window)

    arun(scenario(), timeout=60)


def test_without_running_its_code_the_graph_is_read_from_its_source(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, flow_root: Path
) -> None:
    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, flow_root, "staticButton")
        view = flows.views[flow_root]
        graph = view.graph_view
        assert graph is not None and list(graph.nodes) == STEPS
        assert ("judge", "write_long", "long") in graph.edge_labels
        assert ("judge", "write_short", "short") in graph.edge_labels
        assert "crew: WriterCrew" in graph.nodes["write_long"].label.text()
        assert not view.run_button.isEnabled()
        assert view.message.isVisibleTo(view) and "Trust the folder" in view.message.text()
        assert window.services.current_settings.project_trust == {str(flow_root): False}
        await _close(window)

    arun(scenario(), timeout=60)


def test_a_dry_run_lights_the_nodes_in_order_and_is_kept_in_history(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, flow_root: Path
) -> None:
    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, flow_root)
        view = flows.views[flow_root]
        view.inputs.setText('{"topic": "cats"}')
        view.dry_run.setChecked(True)
        view.run_button.click()
        await wait_until(lambda: flows.controller.active_runs() or flows.panels)
        state = next(iter(flows.panels.values())).state
        panel = flows.panels[state.run_id]
        assert window.tabs.currentWidget() is window.dashboard and panel.isVisible()
        shown: list[tuple[str, str]] = []
        state.nodeChanged.connect(lambda step, status: shown.append(
            (step, panel.graph_view.status_of(step))))
        await flows.controller.wait(state)
        assert state.status is FlowStatus.DONE, state.error
        assert _steps_in_order(state, NodeStatus.RUNNING) == [
            "pick", "judge", "write_long", "publish"]
        assert _steps_in_order(state, NodeStatus.DONE) == [
            "pick", "judge", "write_long", "publish"]
        assert state.sequence[-1] == ("write_short", NodeStatus.SKIPPED)
        assert panel.graph_view.status_of("write_short") == "skipped"
        assert all(panel.graph_view.status_of(s) == "done" for s in STEPS if s != "write_short")
        assert shown == [(step, status.value) for step, status in state.sequence[-len(shown):]]
        assert panel.stream_titles() == ["write_long · Writers"]
        assert panel.streams[next(iter(panel.streams))].shown_text().strip()
        assert json.loads(panel.state_view.toPlainText())["topic"] == "cats"
        assert panel.status.text().startswith("Done")
        await _check_history(window, state)
        await _close(window)

    arun(scenario(), timeout=90)


async def _check_history(window: MainWindow, state: FlowRunState) -> None:
    record = await window.services.history.get_run(state.run_id)
    assert record is not None and record.status == "finished"
    assert record.mode == "flow dry run" and record.crew_name == "BranchFlow"
    assert [out.name for out in record.task_outputs] == ["pick", "judge", "write_long",
                                                         "publish"]
    kinds = {segment.kind: segment.text for segment in record.segments}
    assert json.loads(kinds["flow_steps"])["write_short"] == "skipped"
    assert json.loads(kinds["flow_state"])["draft"] == state.state["draft"]
    assert kinds["flow_state_id"] == state.state["id"]
    assert record.task_text.get(2, "").strip()  # the crew's text, under its step


def test_a_failing_step_is_named_and_another_flow_goes_on(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, flow_root: Path
) -> None:
    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, flow_root)
        opened = flows.projects[flow_root]
        failing = flows.run(opened, {"topic": "boom"}, dry_run=True)
        fine = flows.run(opened, {"topic": "cats"}, dry_run=True)
        await asyncio.gather(flows.controller.wait(failing), flows.controller.wait(fine))
        assert failing.status is FlowStatus.FAILED
        assert failing.nodes["publish"] is NodeStatus.FAILED
        assert failing.nodes["write_short"] is NodeStatus.SKIPPED
        panel = flows.panels[failing.run_id]
        assert "publish" in panel.status.text() and "publisher is down" in panel.status.text()
        assert panel.graph_view.status_of("publish") == "failed"
        assert fine.status is FlowStatus.DONE, fine.error
        titles = {flows.runs.tabText(i) for i in range(flows.runs.count())}
        assert titles == {"BranchFlow · failed", "BranchFlow · done"}, titles
        record = await window.services.history.get_run(failing.run_id)
        assert record is not None and record.status == "failed"
        assert record.error is not None and "publish" in record.error
        await _close(window)

    arun(scenario(), timeout=90)


def test_stop_cancels_a_flow_and_its_crew(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, flow_root: Path
) -> None:
    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, flow_root)
        state = flows.run(flows.projects[flow_root], {"topic": "cats"}, dry_run=True)
        panel = flows.panels[state.run_id]
        await wait_until(lambda: state.nodes["write_long"] is NodeStatus.RUNNING
                         and panel.streams)
        panel.stop_button.click()
        await flows.controller.wait(state)
        assert state.status is FlowStatus.CANCELLED
        assert state.nodes["publish"] is NodeStatus.SKIPPED
        assert state.nodes["write_long"] is NodeStatus.SKIPPED
        assert panel.status.text() == "Cancelled" and not panel.stop_button.isEnabled()
        assert not flows.controller.active_runs()
        record = await window.services.history.get_run(state.run_id)
        assert record is not None and record.status == "cancelled"
        await _close(window)

    arun(scenario(), timeout=90)


def test_a_review_step_asks_in_the_panel_and_routes_on_the_answer(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    root = _copy(FIXTURE.parent / "review_flow", tmp_path)

    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, root)
        state = flows.run(flows.projects[root], dry_run=True)
        panel = flows.panels[state.run_id]
        await wait_until(lambda: panel.feedback.isVisible())
        assert state.nodes["check"] is NodeStatus.RUNNING
        assert "Publish it?" in panel.feedback_text.text()
        assert "THE POST" in panel.feedback_text.text()
        panel.feedback_edit.setText("needs_work")
        panel.feedback_button.click()
        await flows.controller.wait(state)
        assert state.status is FlowStatus.DONE, state.error
        assert not panel.feedback.isVisible()
        assert state.nodes["revise"] is NodeStatus.DONE
        assert state.nodes["publish"] is NodeStatus.SKIPPED
        assert state.result == "revising after: needs_work"
        await _close(window)

    arun(scenario(), timeout=60)


def test_crewai_create_flow_project_runs_in_its_folder(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    """`crewai create flow`'s template: its crew's YAML found, its file written in its folder."""
    root = _copy(Path(__file__).parents[1] / "compat/projects/content_flow", tmp_path)

    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, root)
        graph = flows.views[root].graph_view
        assert graph is not None
        assert graph.edge_labels == [("plan_content", "generate_content", ""),
                                     ("generate_content", "save_content", "")]
        assert "crew: ContentCrew" in graph.nodes["generate_content"].label.text()
        state = flows.run(flows.projects[root], dry_run=True)
        await flows.controller.wait(state)
        assert state.status is FlowStatus.DONE, state.error
        assert [step for step, _crew in state.crews.values()] == ["generate_content"]
        post = (root / "output" / "post.md").read_text(encoding="utf-8")
        assert post and post == state.state["final_post"]
        await _close(window)

    arun(scenario(), timeout=90)


def test_history_resumes_a_persisted_flow_from_its_saved_state(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    root = _copy(FIXTURE.parent / "persist_flow", tmp_path)

    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, root)
        first = flows.run(flows.projects[root], {"note": "first"})
        await flows.controller.wait(first)
        assert first.status is FlowStatus.FAILED and "not yet" in first.error
        assert first.state["count"] == 1
        await window.rerun_from_history(first.run_id)  # History's "Run again"
        again = next(p.state for run_id, p in flows.panels.items() if run_id != first.run_id)
        await flows.controller.wait(again)
        assert again.status is FlowStatus.DONE, again.error
        assert again.result == "count 2" and again.inputs["note"] == "first"
        assert "Resuming flow CountFlow" in window.dashboard.message.text()
        await _close(window)

    arun(scenario(), timeout=60)


def test_closing_the_window_asks_then_stops_a_running_flow_recorded_cancelled(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, flow_root: Path
) -> None:
    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, flow_root)
        state = flows.run(flows.projects[flow_root], {"topic": "cats"}, dry_run=True)
        await wait_until(lambda: state.nodes["write_long"] is NodeStatus.RUNNING)
        closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def done() -> None:
            if not closed.done():
                closed.set_result(None)

        window.closed.connect(done)
        window.close()
        await wait_until(lambda: (box := window.findChild(QMessageBox, "askBox")) is not None
                         and box.isVisible())
        box = window.findChild(QMessageBox, "askBox")
        assert box is not None and "1 run is still going" in box.text()
        box.button(QMessageBox.StandardButton.Close).click()
        await asyncio.wait_for(closed, 20)
        assert state.status is FlowStatus.CANCELLED
        history = RunHistory(window.services.history.path)
        try:
            record = await history.get_run(state.run_id)
        finally:
            await history.close()
        assert record is not None and record.status == "cancelled"

    arun(scenario(), timeout=60)


def test_inputs_that_are_not_a_json_object_are_named_and_nothing_runs(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, flow_root: Path
) -> None:
    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, flow_root)
        view = flows.views[flow_root]
        for text, said in (("{topic: cats}", "Inputs are not JSON"),
                           ('["cats"]', "Inputs must be a JSON object")):
            view.inputs.setText(text)
            view.run_button.click()
            assert view.message.isVisibleTo(view) and said in view.message.text()
        assert not flows.panels and not flows.controller.active_runs()
        await _close(window)

    arun(scenario(), timeout=60)


def test_a_real_run_sends_the_codes_models_to_the_configured_provider(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, flow_root: Path
) -> None:
    """The crew's `LLM("openai/gpt-4o")` (no address, no key) goes to the configured OpenAI-kind
    provider (the simulator's address here; without routing it would try api.openai.com)."""

    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, flow_root)
        state = flows.run(flows.projects[flow_root], {"topic": "cats"})
        await flows.controller.wait(state)
        assert state.status is FlowStatus.DONE, state.error
        assert not state.warnings
        models = [r.model for r in sim.stats.requests if r.path.endswith("/chat/completions")]
        assert models == ["gpt-4o"], models
        await _close(window)

    arun(scenario(), timeout=60)


def test_with_no_provider_set_up_a_real_run_says_where_models_go(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    root = _copy(FIXTURE.parent / "review_flow", tmp_path)

    async def scenario() -> None:
        window, flows = await _opened(qtbot, sim, root)
        await window.services.save_settings(Settings(project_trust={str(root): True}))
        state = flows.run(flows.projects[root])
        await wait_until(lambda: flows.panels[state.run_id].feedback.isVisible())
        state.answer("")  # the default outcome
        await flows.controller.wait(state)
        assert state.status is FlowStatus.DONE and state.result == "published THE POST"
        assert state.warnings == [REAL_RUN_NOTE]
        assert REAL_RUN_NOTE in flows.panels[state.run_id].notes.text()
        await _close(window)

    arun(scenario(), timeout=60)
