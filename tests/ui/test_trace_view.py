"""The Trace view (issue 16): a run made by the app on the simulator keeps its spans in the
history; History's "Trace…" opens its timeline, a click shows a call's messages and answer
(keys masked), and the trace exports as JSON and OTLP."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from test_app_support import (
    TEST_KEY,
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    start_app,
    stop_app,
    wait_until,
)

from desktop_app.engine import register_secrets
from desktop_app.simulator import SimulatorThread
from desktop_app.storage.history import TraceSpanRecord
from desktop_app.ui.controllers import RunStatus
from desktop_app.ui.dashboard import DashboardView
from desktop_app.ui.history import HistoryView
from desktop_app.ui.history._trace import COLUMNS, TraceDialog, TraceModel, tree_order
from desktop_app.ui.services import AppServices
from tests.storage.test_trace_export import assert_valid_otlp

Arun = Callable[..., Any]
SHOTS = os.environ.get("CREWDESK_SHOTS")  # a folder: the Trace window is saved there as PNG

pytestmark = pytest.mark.usefixtures("gui_thread_gc", "litellm_loaded")


def _record(n: int, kind: str, parent: str | None, start: float) -> TraceSpanRecord:
    return TraceSpanRecord("r", n, f"{n:016x}", parent, kind, f"step {n}", 0, "A", start, 1.0,
                           None, None, None, "ok", "{}")


def test_tree_order_puts_each_span_under_its_parent_by_start() -> None:
    run = _record(0, "run", None, 0.0)
    task = _record(1, "task", run.span_id, 0.1)
    late, early = _record(2, "llm", task.span_id, 0.5), _record(3, "tool", task.span_id, 0.2)
    orphan = _record(4, "llm", "0000000000000bad", 0.3)  # its parent was never stored
    order = tree_order([late, early, task, orphan, run])
    assert [(span.seq, depth) for span, depth in order] == [(0, 0), (1, 1), (3, 2), (2, 2),
                                                            (4, 0)]


def test_the_model_shows_one_row_per_span() -> None:
    model = TraceModel()
    model.set_spans([_record(1, "llm", None, 10.25), _record(0, "run", None, 10.0)])
    assert (model.rowCount(), model.columnCount()) == (2, len(COLUMNS))
    cells = [model.index(1, column).data() for column in range(len(COLUMNS))]
    assert cells == ["LLM call", "step 1", "A", "1", "+0.250 s", "", "1.00 s", "", "", "ok"]


def test_history_opens_the_trace_of_a_run_the_app_made(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    register_secrets([TEST_KEY])

    async def scenario() -> None:
        services, controller = await start_app(sim)
        dashboard = DashboardView(services, controller)
        qtbot.addWidget(dashboard)
        doc = make_document("Traced", model="openai/sim:tps=2000,tokens=20,ttft=0.005")
        state = dashboard.start(doc, {"topic": f"owls {TEST_KEY}"})
        await controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        history = HistoryView(services)
        qtbot.addWidget(history)
        history.resize(1000, 700)
        history.show()
        await history.refresh()
        assert history.select_run(state.run_id)
        await wait_until(lambda: history.record is not None)
        history.buttons["showTrace"].click()
        dialog = history.findChild(TraceDialog, "traceDialog")
        assert isinstance(dialog, TraceDialog) and dialog.isVisible()
        assert dialog.loading is not None
        await dialog.loading
        await _check_dialog(qtbot, dialog, tmp_path)
        dialog.close()
        await stop_app(controller, services)

    arun(scenario())


async def _check_dialog(qtbot: QtBot, dialog: TraceDialog, tmp_path: Path) -> None:
    view = dialog.view
    kinds = [view.model.index(row, 0).data() for row in range(view.model.rowCount())]
    assert kinds == ["run", "task", "LLM call", "task", "LLM call"]
    assert view.summary_label.text().startswith("5 steps: 2 LLM calls, 0 tool calls")
    table = view.table
    rect = table.visualRect(view.model.index(2, 1))
    qtbot.mouseClick(  # type: ignore[no-untyped-call]  # pytest-qt is untyped
        table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
    )
    await wait_until(lambda: "══ answer ══" in view.detail.toPlainText())
    shown = view.detail.toPlainText()
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "trace_view.png"))
    assert "── user ──" in shown and "step 1 about owls" in shown
    assert TEST_KEY not in shown and "sk-…" in shown
    json_path, otlp_path = tmp_path / "trace.json", tmp_path / "trace.otlp.json"
    assert await view.export(json_path, otlp=False)
    assert await view.export(otlp_path, otlp=True)
    document = json.loads(json_path.read_text(encoding="utf-8"))
    assert [span["kind"] for span in document["spans"]] == ["llm", "task", "llm", "task", "run"]
    spans = assert_valid_otlp(json.loads(otlp_path.read_text(encoding="utf-8")))
    assert sum(span["name"].startswith("chat ") for span in spans) == 2
    assert TEST_KEY not in json_path.read_text(encoding="utf-8")


class _Window(QWidget):
    """A window holding the app's services, as `MainWindow` does."""

    def __init__(self, services: AppServices) -> None:
        super().__init__()
        self.services = services


def test_a_run_panels_trace_button_opens_its_trace(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        window = _Window(services)
        qtbot.addWidget(window)
        dashboard = DashboardView(services, controller, window)
        doc = make_document("Panel", model="openai/sim:tps=2000,tokens=20,ttft=0.005", tasks=1)
        state = dashboard.start(doc, {"topic": "owls"})
        await controller.wait(state)
        await wait_until(lambda: len(dashboard.grid.panels) == 1)
        dashboard.grid.panels[0].trace_button.click()
        dialog = window.findChild(TraceDialog, "traceDialog")
        assert isinstance(dialog, TraceDialog) and dialog.loading is not None
        await dialog.loading
        kinds = [dialog.view.model.index(row, 0).data()
                 for row in range(dialog.view.model.rowCount())]
        assert kinds == ["run", "task", "LLM call"]
        assert dialog.view.run_id == state.run_id
        dialog.close()
        await stop_app(controller, services)

    arun(scenario())
