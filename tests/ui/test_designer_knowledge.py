"""The designer's memory, embedder and knowledge fields, driven through their widgets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from test_app_support import (
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    make_view,
    services_fixture,  # noqa: F401 - the `services` fixture
)

from desktop_app.documents import KnowledgeSourceSpec
from desktop_app.documents.crewdesk_file import load_crew
from desktop_app.ui.designer import DesignerView
from desktop_app.ui.services import AppServices

Run = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("gui_thread_gc")
D = TypeVar("D", bound=QDialog)



async def open_dialog(owner: QWidget, kind: type[D]) -> D:
    """The dialog of ``kind`` that ``owner`` opened (on the running loop, no nested loop)."""
    for _ in range(200):
        found = [d for d in owner.findChildren(kind) if d.isVisible()]
        if found:
            return found[0]
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {kind.__name__} opened")


def test_memory_the_embedder_and_knowledge_are_edited_saved_and_undone(
    qtbot: QtBot, arun: Run, services: AppServices, tmp_path: Path
) -> None:
    faq = tmp_path / "faq.md"
    faq.write_text("# Refunds\nWithin 30 days.\n", encoding="utf-8")
    prices = tmp_path / "prices.csv"
    prices.write_text("item,price\ntea,3\n", encoding="utf-8")
    view = make_view(qtbot, services)
    page = view.crew_page

    async def scenario() -> str:
        await view.ready()
        assert await view.new_crew()
        page.name_edit.setText("Help desk")
        page.name_edit.textEdited.emit("Help desk")
        page.memory_box.setChecked(True)
        page.embedder_box.setEditText("ollama/nomic-embed-text")
        # Add file…: the file dialog opens without a nested loop; the user picks the file.
        qtbot.mouseClick(page.knowledge.add_file_button, Qt.MouseButton.LeftButton)
        files = await open_dialog(page, QFileDialog)
        name_edit = files.findChild(QLineEdit, "fileNameEdit")
        assert name_edit is not None
        qtbot.keyClicks(name_edit, str(faq))  # the name typed, as a user would
        files.accept()
        await asyncio.sleep(0)
        # Add text…: the same for a text.
        qtbot.mouseClick(page.knowledge.add_text_button, Qt.MouseButton.LeftButton)
        texts = await open_dialog(page, QInputDialog)
        texts.setTextValue("Calls are answered from eight until noon.")
        texts.accept()
        for _ in range(100):
            if len(page.knowledge.lines()) == 2:
                break
            await asyncio.sleep(0.01)
        assert page.knowledge.lines() == [
            "markdown: faq.md",
            "text: Calls are answered from eight until noon.",
        ]
        # The agent's own knowledge: a file added, then a text added and removed.
        view.tabs.setCurrentWidget(view.agents_page)
        agent_list = view.agent_form.knowledge
        assert await agent_list.add_file(prices)
        assert await agent_list.add_text("a note")
        agent_list.list_widget.setCurrentRow(1)
        qtbot.mouseClick(agent_list.remove_button, Qt.MouseButton.LeftButton)
        assert agent_list.lines() == ["csv: prices.csv"]
        assert not await agent_list.add_text("   ")  # nothing to add
        assert await view.save(), view.status()
        # Undo takes back one step at a time: first the removal of the note.
        view.editor.undo_stack.undo()
        assert agent_list.lines() == ["csv: prices.csv", "text: a note"]
        view.editor.undo_stack.redo()
        return str(view.editor.crew_id)

    saved = load_crew(services.library.path_of(arun(scenario())))
    assert saved.settings.memory is True
    assert saved.settings.embedder == {
        "provider": "ollama",
        "config": {"model": "nomic-embed-text"},
    }
    assert saved.settings.knowledge_sources == [
        KnowledgeSourceSpec(kind="markdown", path=str(faq)),
        KnowledgeSourceSpec(kind="string", content="Calls are answered from eight until noon."),
    ]
    assert saved.agents[0].knowledge_sources == [KnowledgeSourceSpec(kind="csv", path=str(prices))]
    # Picked by the user, so allowed by name: the library's folder is not theirs.
    assert saved.settings.allowed_paths == [str(faq), str(prices)]


def test_the_page_shows_the_documents_fields_and_their_problems(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view: DesignerView = make_view(qtbot, services)
    page = view.crew_page
    asked: list[bool] = []
    page.memoryRequested.connect(lambda: asked.append(True))

    async def scenario() -> None:
        await view.ready()
        doc = view.editor.document.model_copy(deep=True)
        doc.settings.memory = True
        doc.settings.embedder = {
            "provider": "openai",
            "config": {"model": "text-x", "api_base": "http://h/v1"},
        }
        doc.settings.knowledge_sources = [KnowledgeSourceSpec(kind="pdf", path="/m/manual.pdf")]
        assert await view.new_crew(doc)
        assert page.memory_box.isChecked()
        assert page.embedder_box.currentText() == "openai/text-x"
        assert page.knowledge.lines() == ["pdf: manual.pdf"]
        # Typing another model keeps the embedder's other settings; an empty model is a problem.
        page.embedder_box.setEditText("openai/")
        assert page.embedder_row.message() == (
            "the embedder needs a model: {provider: openai, config: {model: ...}}"
        )
        page.embedder_box.setEditText("openai/text-embedding-3-small")
        assert view.editor.document.settings.embedder == {
            "provider": "openai",
            "config": {"model": "text-embedding-3-small", "api_base": "http://h/v1"},
        }
        page.embedder_box.setEditText("")
        assert view.editor.document.settings.embedder is None
        page.memory_box.setChecked(False)
        assert not view.editor.document.settings.memory
        qtbot.mouseClick(page.memory_button, Qt.MouseButton.LeftButton)

    arun(scenario())
    assert asked == [True]


def test_an_export_names_each_knowledge_file_it_did_not_copy(
    qtbot: QtBot, arun: Run, services: AppServices, tmp_path: Path
) -> None:
    picked = tmp_path / "elsewhere" / "faq.md"
    picked.parent.mkdir()
    picked.write_text("# Refunds\nWithin 30 days.\n", encoding="utf-8")
    view = make_view(qtbot, services)

    async def scenario() -> None:
        await view.ready()
        assert await view.new_crew()
        assert await view.crew_page.knowledge.add_file(picked)  # allowed by name, not shared
        assert await view.save(), view.status()
        assert await view.export_crewai(tmp_path / "project")

    arun(scenario())
    assert not (tmp_path / "project" / "knowledge" / "faq.md").exists()
    assert (
        f"settings.knowledge_sources[0]: the knowledge file {picked} is outside the crew's "
        "folder, so it was not copied; copy it to knowledge/faq.md yourself if it may be shared"
    ) in view.status()
