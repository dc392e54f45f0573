"""What the designer's canvas draws (problems, the manager, tools, knowledge), how it zooms
and pans, and the canvas inside the designer with the forms as its inspector."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from test_app_support import (
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    make_view,
    services_fixture,  # noqa: F401 - the `services` fixture
)

from desktop_app.documents.model import AgentSpec, KnowledgeSourceSpec
from desktop_app.ui.designer import _edits
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.designer.canvas import CrewCanvas, NodeRef
from desktop_app.ui.services import AppServices
from tests.ui._canvas_drive import at, click, drag, make_canvas, node

Run = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("gui_thread_gc")


def opened(doc: Any) -> CrewEditor:
    editor = CrewEditor()
    editor.open(doc, crew_id=None)
    return editor


def test_problems_are_drawn_on_their_nodes(qtbot: QtBot) -> None:
    doc = _edits.add_task(_edits.new_document())
    doc.tasks[1].agent = "ghost"
    doc.agents[0].role = ""
    canvas = make_canvas(qtbot, opened(doc))
    task = node(canvas, "task", 1)
    assert task.badge is not None and "ghost" in task.badge.toolTip()
    agent = node(canvas, "agent", 0)
    assert agent.badge is not None and "role must not be empty" in agent.badge.toolTip()
    assert node(canvas, "task", 0).badge is None
    # Fixing the problem through the editor (as a form does) takes the badge away.
    canvas.editor.set_field(("tasks", 1, "agent"), "agent_1")
    assert node(canvas, "task", 1).badge is None
    item = node(canvas, "agent", 0)
    canvas.editor.set_field(("agents", 0, "role"), "Writer")  # typing: the items stay
    assert node(canvas, "agent", 0) is item and item.badge is None
    assert item.node.title == "Writer"
    canvas.editor.set_field(("agents", 0, "role"), "")
    assert item.badge is not None and "role must not be empty" in item.badge.toolTip()
    canvas.editor.set_field(("name",), "")
    assert "needs a name" in canvas.problems_label.toolTip()


def test_a_hierarchical_crew_shows_its_manager(qtbot: QtBot) -> None:
    doc = _edits.add_agent(_edits.new_document())
    doc.process = "hierarchical"
    doc.settings.manager_llm = "openai/gpt-4o"
    canvas = make_canvas(qtbot, opened(doc))
    manager = canvas.scene.graph.node(NodeRef("manager"))
    assert manager is not None and manager.subtitle == "openai/gpt-4o"
    managed = {e.target for e in canvas.scene.graph.edges if e.kind == "manages"}
    assert managed == {NodeRef("agent", 0), NodeRef("agent", 1)}
    # A manager agent: the manager names it, and delegates to the others only.
    canvas.editor.edit("manager", lambda d: _edits.set_value(
        _edits.set_value(d, ("settings", "manager_llm"), None),
        ("settings", "manager_agent"), "agent_2"))
    manager = canvas.scene.graph.node(NodeRef("manager"))
    assert manager is not None and manager.subtitle == "agent agent_2"
    assert {e.target for e in canvas.scene.graph.edges if e.kind == "manages"} == {
        NodeRef("agent", 0)}
    assert node(canvas, "manager", 0).sceneBoundingRect().bottom() <= \
        node(canvas, "agent", 0).sceneBoundingRect().top()


def test_tools_are_chips_and_knowledge_sources_are_nodes(qtbot: QtBot) -> None:
    doc = _edits.new_document()
    doc.agents[0] = AgentSpec(key="agent_1", role="Researcher", goal="g", backstory="b",
                              tools=["web_search", "read_file"],
                              knowledge_sources=[KnowledgeSourceSpec(kind="string",
                                                                     content="Facts.")])
    doc.settings.knowledge_sources = [KnowledgeSourceSpec(kind="text", path="notes.txt")]
    canvas = make_canvas(qtbot, opened(doc))
    assert node(canvas, "agent", 0).node.chips == ("web_search", "read_file")
    crew_knowledge = canvas.scene.graph.node(NodeRef("knowledge", 0, -1))
    assert crew_knowledge is not None and crew_knowledge.subtitle == "notes.txt"
    knows = [e for e in canvas.scene.graph.edges if e.kind == "knowledge"]
    assert [(e.source, e.target) for e in knows] == [
        (NodeRef("knowledge", 0, 0), NodeRef("agent", 0))]


def wheel(canvas: CrewCanvas, up: bool, modifiers: Qt.KeyboardModifier) -> None:
    point = QPointF(canvas.view.viewport().rect().center())
    event = QWheelEvent(point, QPointF(canvas.view.viewport().mapToGlobal(point.toPoint())),
                        QPoint(), QPoint(0, 120 if up else -120), Qt.MouseButton.NoButton,
                        modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas.view.viewport(), event)


def test_zoom_fit_and_pan(qtbot: QtBot) -> None:
    canvas = make_canvas(qtbot)
    canvas.view.zoom_by(1 / canvas.view.zoom())
    wheel(canvas, True, Qt.KeyboardModifier.ControlModifier)
    assert canvas.view.zoom() == pytest.approx(1.2)
    wheel(canvas, False, Qt.KeyboardModifier.ControlModifier)
    assert canvas.view.zoom() == pytest.approx(1.0)
    qtbot.keyClick(canvas.view, Qt.Key.Key_Plus)
    assert canvas.view.zoom() == pytest.approx(1.2)
    qtbot.keyClick(canvas.view, Qt.Key.Key_Minus)
    qtbot.keyClick(canvas.view, Qt.Key.Key_Minus)
    assert canvas.view.zoom() == pytest.approx(1 / 1.2)
    for _ in range(12):
        qtbot.mouseClick(canvas.buttons["addTask"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(canvas.buttons["zoomIn"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(canvas.buttons["fit"], Qt.MouseButton.LeftButton)
    shown = canvas.view.mapToScene(canvas.view.viewport().rect()).boundingRect()
    for item in canvas.scene.nodes.values():
        assert shown.contains(item.sceneBoundingRect()), item.node.title
    # Dragging empty space pans (and changes nothing in the crew).
    canvas.view.zoom_by(2.0)
    bar = canvas.view.verticalScrollBar()
    before = bar.value()
    empty = canvas.view.mapToScene(QPoint(5, canvas.view.viewport().height() - 5))
    assert not canvas.view.items(at(canvas, empty))
    drag(qtbot, canvas, empty, empty - QPointF(0, 200))
    assert bar.value() != before
    assert canvas.editor.undo_stack.count() == 12  # the adds only


def test_the_designer_inspects_the_selected_node_with_its_form(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services, width=1280, height=760)

    async def scenario() -> None:
        await view.ready()
        await view.new_crew()
        canvas = view.canvas
        click(qtbot, canvas, node(canvas, "agent", 0))
        assert view.tabs.currentWidget() is view.agents_page
        view.agent_form.role_edit.setFocus()
        view.agent_form.role_edit.selectAll()
        qtbot.keyClicks(view.agent_form.role_edit, "Planner")
        assert node(canvas, "agent", 0).node.title == "Planner"  # the form updates the node
        qtbot.mouseClick(canvas.buttons["addTask"], Qt.MouseButton.LeftButton)
        assert view.tabs.currentWidget() is view.tasks_page
        assert view.tasks_page.items_list.currentRow() == 1
        view.tasks_page.select(0)
        assert canvas.scene.selected_refs() == [NodeRef("task", 0)]
        # One Undo (the designer's button) takes back the canvas's add.
        qtbot.mouseClick(view.buttons["undo"], Qt.MouseButton.LeftButton)
        assert len(view.editor.document.tasks) == 1
        # A read-only example is read-only on the canvas too.
        view.editor.open(view.editor.document, crew_id=None, read_only=True)
        assert canvas.locks.everything
        assert not canvas.buttons["addAgent"].isEnabled()

    arun(scenario())


def test_the_canvas_ground_follows_the_theme(qtbot: QtBot) -> None:
    canvas = make_canvas(qtbot)
    dark = QPalette(canvas.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    canvas.setPalette(dark)
    assert canvas.scene.backgroundBrush().color() == QColor("#1e1e1e")
