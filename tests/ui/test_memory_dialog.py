"""The memory dialog after real runs on the simulator: list, search, reset, delete, in use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from test_app_support import (
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    make_services,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.documents import CrewDocument, KnowledgeSourceSpec
from desktop_app.simulator import SimulatorThread
from desktop_app.ui.controllers import RunController, RunRequest, RunStatus
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.memory import MemoryDialog, store_name_for
from desktop_app.ui.services import AppServices

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded", "_no_quit_on_close")

FACT = "The lighthouse keeper is called Marguerite."


@pytest.fixture
def _no_quit_on_close(qapp: QApplication) -> Iterator[None]:
    """Closing the dialog (the only window) must not quit the app, as in `main()`."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


def remembering(name: str, model: str = "openai/sim:tps=2000,tokens=25,ttft=0.005") -> CrewDocument:
    """A one-task crew with memory, an embedder and a knowledge text."""
    doc = make_document(name, model=model, tasks=1)
    doc.settings.memory = True
    doc.settings.embedder = {"provider": "openai", "config": {"model": "sim"}}
    doc.settings.knowledge_sources = [KnowledgeSourceSpec(kind="string", content=FACT)]
    return doc


def open_dialog(qtbot: QtBot, services: AppServices, crew_name: str | None) -> MemoryDialog:
    dialog = MemoryDialog(services, crew_name)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


async def answer(dialog: MemoryDialog, button: QMessageBox.StandardButton) -> None:
    """Answers the dialog's question box (it opens without a nested loop)."""

    def box() -> QMessageBox | None:
        found = dialog.findChild(QMessageBox, "askBox")
        return found if found is not None and found.isVisible() else None

    await wait_until(box)
    shown = box()
    assert shown is not None
    shown.button(button).click()


def test_a_run_with_memory_is_listed_searched_reset_and_deleted(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url, root=tmp_path / "app")
        controller = RunController(services)
        doc = remembering("Harbour")
        state = await controller.run(RunRequest(doc, doc.default_inputs()))
        assert state.status is RunStatus.DONE, state.error
        embeddings = [r for r in sim.stats.requests if r.path.endswith("/embeddings")]
        assert embeddings  # the embedder went to the provider's base URL, with its key
        dialog = open_dialog(qtbot, services, "Harbour")
        await dialog.ready()
        rows = dialog.rows()
        assert [(r.crew, r.info.kind) for r in rows] == [
            ("Harbour", "knowledge"),
            ("Harbour", "memory"),
        ]
        memory = rows[1]
        assert memory.info.name == store_name_for("Harbour")
        assert memory.info.path.parent == tmp_path / "app" / "data" / "memory"
        assert memory.info.counts.get("long_term", 0) >= 1
        assert rows[0].counts_text() == "1 chunk"
        # The crew's store is selected first: its newest items show.
        assert dialog.selected() == rows[0]
        assert dialog.item_texts() == [FACT]
        dialog.select(memory)
        assert dialog.kind_box.currentText() == "all kinds"
        found = await dialog.search("cats")
        assert found and all("cats" in item.text for item in found)
        assert dialog.item_texts() == [item.text for item in found]
        assert await dialog.search("zeppelin") == []
        # Reset empties the store and keeps its file; Delete removes the file.
        qtbot.mouseClick(dialog.reset_button, Qt.MouseButton.LeftButton)
        await answer(dialog, QMessageBox.StandardButton.Yes)
        await wait_until(lambda: dialog.status().startswith("Deleted"))
        emptied = next(r for r in dialog.rows() if r.info.kind == "memory")
        assert (emptied.items, emptied.counts_text()) == (0, "empty")
        assert memory.info.path.exists()
        assert dialog.status() == f"Deleted {memory.items} item(s) of {memory.info.name}."
        dialog.select(emptied)
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
        await answer(dialog, QMessageBox.StandardButton.Yes)
        await wait_until(lambda: not memory.info.path.exists())
        await wait_until(lambda: len(dialog.rows()) == 1)
        assert [r.info.kind for r in dialog.rows()] == ["knowledge"]
        # Saying No changes nothing.
        dialog.select(dialog.rows()[0])
        kept = asyncio.ensure_future(dialog.delete())
        await answer(dialog, QMessageBox.StandardButton.No)
        assert not await kept
        assert rows[0].info.path.exists()
        dialog.reject()
        await controller.aclose()
        await services.close()

    arun(scenario())


def test_a_store_in_use_by_a_running_crew_is_not_deleted(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url, root=tmp_path / "app")
        controller = RunController(services)
        doc = remembering("Slow boat", model="openai/sim:tps=20,tokens=400,ttft=0.01")
        state = controller.start(RunRequest(doc, doc.default_inputs()))
        memory_dir = tmp_path / "app" / "data" / "memory"
        await wait_until(lambda: len(state.transcript()) > 20)  # streaming: the store is held
        dialog = open_dialog(qtbot, services, "Slow boat")
        await dialog.ready()
        dialog.select(next(r for r in dialog.rows() if r.info.kind == "memory"))
        assert not await dialog.delete(confirm=False)
        assert dialog.status() == (
            "The memory store of “Slow boat” is in use by a running "
            "crew: stop its run, then delete it."
        )
        assert len(list(memory_dir.glob("*.sqlite3"))) == 1
        assert controller.stop(state.run_id)
        await controller.wait(state)
        assert await dialog.delete(confirm=False)
        assert list(memory_dir.glob("*.sqlite3")) == []
        dialog.reject()
        await controller.aclose()
        await services.close()

    arun(scenario())


def test_the_designer_opens_the_stores_of_its_crew(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        await window.start()
        assert await window.designer.new_crew(remembering("Lonely"))
        window.designer.crew_page.memory_button.click()
        dialog = window.findChild(MemoryDialog)
        assert dialog is not None
        await wait_until(dialog.isVisible)
        await dialog.ready()
        assert (
            dialog.status() == "No crew has memory or knowledge yet: turn memory on or "
            "add knowledge in the designer, then run the crew."
        )
        dialog.reject()
        assert window.memory_action.text() == "&Memory and knowledge…"
        window.designer.editor.open(window.designer.editor.document, crew_id=None)  # not dirty
        window.close()
        await wait_until(lambda: not window.isVisible())

    arun(scenario())
