"""The run history view over a real SQLite history written with RunHistory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from test_app_support import (
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    services_fixture,  # noqa: F401 - the `services` fixture
)

from desktop_app.storage.history import RunHistory
from desktop_app.ui.history import HistoryView
from desktop_app.ui.services import AppServices

Run = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("gui_thread_gc")

SNAPSHOT = {
    "name": "Research and write",
    "tasks": [
        {"key": "research", "name": "Research", "agent": "researcher"},
        {"key": "write", "agent": "writer"},
    ],
}


async def write_runs(history: RunHistory) -> dict[str, str]:
    """A finished run with streamed text and a tool call, a failed one, an interrupted one."""
    done = await history.start_run("Research and write", crew_snapshot=SNAPSHOT,
                                   inputs={"topic": "tidal power"}, mode="akickoff")
    for piece in ("Tidal ", "power ", "uses the moon."):
        history.append_text(done, 0, piece)
    history.append_text(done, 0, '{"code": "print(1)"}', kind="tool_call")
    history.append_text(done, 1, "An article about tides.")
    await history.record_task_output(done, 0, raw="Tidal power uses the moon.",
                                     name="Research", agent="Senior research analyst")
    await history.record_task_output(done, 1, raw="An article about tides.", agent="Writer")
    await history.finish_run(done, "finished", final_output="An article about tides.",
                             usage={"total_tokens": 1234}, cost_usd=0.0021)
    failed = await history.start_run("Budget check", inputs={"year": 2026},
                                      mode="kickoff_async")
    await history.finish_run(failed, "failed", error="the key for openai was refused")
    interrupted = await history.start_run("Night batch", inputs={"n": 3})
    history.append_text(interrupted, 0, "Partial output before the crash")
    await history.flush()
    assert await history.mark_interrupted() == 1
    return {"done": done, "failed": failed, "interrupted": interrupted}


def make_view(qtbot: QtBot, services: AppServices) -> HistoryView:
    view = HistoryView(services)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    return view


def test_the_history_lists_runs_and_shows_their_text_per_task(
    qtbot: QtBot, arun: Run, services: AppServices, tmp_path: Path
) -> None:
    view = make_view(qtbot, services)
    reruns: list[str] = []
    view.rerunRequested.connect(reruns.append)

    async def scenario() -> None:
        ids = await write_runs(services.history)
        await view.refresh()
        assert view.model.rowCount() == 3
        rows = {run.crew_name: row for row, run in enumerate(view.model.runs)}
        done_row = rows["Research and write"]
        cells = [view.model.index(done_row, c).data() for c in range(7)]
        assert cells[0:3] == ["Research and write", "finished", "Native async"]
        assert cells[5] == "1,234" and cells[6] == "$0.0021"
        assert view.model.index(rows["Night batch"], 1).data() == "interrupted"
        record = await view.show_run(ids["done"])
        assert record is not None
        texts = view.tab_texts()
        assert list(texts) == ["1. Research (researcher)", "2. write (writer)", "Final output",
                               "Inputs"]
        assert texts["1. Research (researcher)"].startswith("Tidal power uses the moon.")
        assert "⚙ tool_call" in texts["1. Research (researcher)"]
        assert "tidal power" in texts["Inputs"]
        copied = view.copy_output()
        assert QApplication.clipboard().text() == copied
        assert "## Task 2. write (writer)" in copied
        assert await view.save_output(tmp_path / "out.md")
        assert "An article about tides." in (tmp_path / "out.md").read_text(encoding="utf-8")
        view.buttons["runAgain"].click()
        assert reruns == [ids["done"]]

    arun(scenario())


def test_an_interrupted_run_shows_its_partial_text_and_why(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)

    async def scenario() -> None:
        ids = await write_runs(services.history)
        view.show()  # the first show loads the runs
        await view._tasks.join()
        assert view.model.rowCount() == 3
        assert view.select_run(ids["interrupted"])
        await view._tasks.join()
        assert view.record is not None and view.record.status == "interrupted"
        assert "interrupted" in view.header_label.text()
        assert not view.error_label.isHidden() and view.error_label.text()
        assert view.tab_texts()["1. Task"] == "Partial output before the crash"

    arun(scenario())


def test_search_and_status_filter_the_runs(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)

    async def scenario() -> None:
        await write_runs(services.history)
        await view.refresh()
        qtbot.keyClicks(view.search_edit, "Budget")
        await asyncio.sleep(0.4)  # the search runs after a short pause
        await view._tasks.join()
        assert [run.crew_name for run in view.model.runs] == ["Budget check"]
        view.search_edit.clear()
        view.status_box.setCurrentIndex(view.status_box.findData("interrupted"))
        await view.refresh()
        assert [run.crew_name for run in view.model.runs] == ["Night batch"]

    arun(scenario())


def test_delete_asks_then_removes_the_run(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)
    view.show()

    async def scenario() -> None:
        ids = await write_runs(services.history)
        await view.refresh()
        await view.show_run(ids["failed"])
        assert "refused" in view.error_label.text()

        def answer_yes() -> None:
            boxes = [w for w in view.findChildren(QMessageBox) if w.isVisible()]
            if boxes:
                boxes[0].button(QMessageBox.StandardButton.Yes).click()
            else:
                asyncio.get_running_loop().call_later(0.05, answer_yes)

        asyncio.get_running_loop().call_later(0.05, answer_yes)
        assert await view.delete_selected(confirm=True)
        assert await services.history.get_run(ids["failed"]) is None
        assert view.model.rowCount() == 2 and view.record is None

    arun(scenario())
