"""Editing a crew on the designer's canvas with the mouse and keys: each gesture is one undo
step of the same `CrewEditor` the forms use."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from pytestqt.qtbot import QtBot

from desktop_app.ui.designer import _edits
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.designer.canvas import CrewCanvas, Locks, NodeRef
from tests.ui._canvas_drive import click, connect, drag, edge, make_canvas, middle_of, node


def three_tasks() -> CrewEditor:
    """Agents agent_1, agent_2; tasks task_1..task_3 all done by agent_1."""
    doc = _edits.add_task(_edits.add_task(_edits.add_agent(_edits.new_document())))
    editor = CrewEditor()
    editor.open(doc, crew_id=None)
    return editor


def messages_of(canvas: CrewCanvas) -> list[str]:
    said: list[str] = []
    canvas.message.connect(said.append)
    return said


def test_dragging_task_to_task_adds_context_and_undo_removes_it(qtbot: QtBot) -> None:
    editor = three_tasks()
    canvas = make_canvas(qtbot, editor)
    connect(qtbot, canvas, node(canvas, "task", 0), node(canvas, "task", 2))
    assert editor.document.tasks[2].context == ["task_1"]
    assert editor.undo_stack.count() == 1
    assert edge(canvas, "context", NodeRef("task", 0), NodeRef("task", 2)).edge.valid
    editor.undo_stack.undo()
    assert editor.document.tasks[2].context is None
    # CrewAI's default context (every earlier task) is drawn dashed from the task before.
    edge(canvas, "default_context", NodeRef("task", 1), NodeRef("task", 2))
    assert "every earlier task" in edge(canvas, "default_context", NodeRef("task", 1),
                                        NodeRef("task", 2)).toolTip()


def test_a_task_cannot_be_made_to_read_a_later_one(qtbot: QtBot) -> None:
    editor = three_tasks()
    canvas = make_canvas(qtbot, editor)
    said = messages_of(canvas)
    connect(qtbot, canvas, node(canvas, "task", 2), node(canvas, "task", 0))
    assert editor.document.tasks[0].context is None
    assert editor.undo_stack.count() == 0
    assert "can only read earlier tasks" in said[-1]


def test_dragging_agent_to_task_assigns_it(qtbot: QtBot) -> None:
    editor = three_tasks()
    canvas = make_canvas(qtbot, editor)
    connect(qtbot, canvas, node(canvas, "agent", 1), node(canvas, "task", 1))
    assert editor.document.tasks[1].agent == "agent_2"
    assert editor.undo_stack.count() == 1
    edge(canvas, "assign", NodeRef("agent", 1), NodeRef("task", 1))
    editor.undo_stack.undo()
    assert editor.document.tasks[1].agent == "agent_1"


def test_delete_removes_a_selected_edge_and_undo_brings_it_back(qtbot: QtBot) -> None:
    editor = three_tasks()
    canvas = make_canvas(qtbot, editor)
    click(qtbot, canvas, edge(canvas, "assign", NodeRef("agent", 0), NodeRef("task", 0)))
    assert canvas.scene.selected_edges()
    qtbot.keyClick(canvas.view, Qt.Key.Key_Delete)
    assert editor.document.tasks[0].agent is None
    assert not [e for e in canvas.scene.edges if e.edge.target == NodeRef("task", 0)
                and e.edge.kind == "assign"]
    editor.undo_stack.undo()
    assert editor.document.tasks[0].agent == "agent_1"
    # CrewAI's default context (every earlier task) is one dashed edge from the task before;
    # deleting it gives the task no context at all.
    assert [e.edge.source for e in canvas.scene.edges if e.edge.kind == "default_context"
            and e.edge.target == NodeRef("task", 2)] == [NodeRef("task", 1)]
    click(qtbot, canvas, edge(canvas, "default_context", NodeRef("task", 1), NodeRef("task", 2)))
    qtbot.keyClick(canvas.view, Qt.Key.Key_Delete)
    assert editor.document.tasks[2].context == []
    assert not [e for e in canvas.scene.edges if e.edge.target == NodeRef("task", 2)
                and e.edge.kind in ("context", "default_context")]


def test_delete_removes_a_node_as_the_forms_do_and_undo_brings_it_back(qtbot: QtBot) -> None:
    editor = three_tasks()
    editor.set_field(("tasks", 2, "context"), ["task_1", "task_2"])
    canvas = make_canvas(qtbot, editor)
    selected: list[object] = []
    canvas.nodeSelected.connect(selected.append)
    click(qtbot, canvas, node(canvas, "task", 1))
    assert selected[-1] == NodeRef("task", 1)
    qtbot.keyClick(canvas.view, Qt.Key.Key_Delete)
    assert [task.key for task in editor.document.tasks] == ["task_1", "task_3"]
    assert editor.document.tasks[1].context == ["task_1"]  # references cleaned
    assert len([n for n in canvas.scene.graph.nodes if n.ref.kind == "task"]) == 2
    assert selected[-1] is None
    editor.undo_stack.undo()
    assert [task.key for task in editor.document.tasks] == ["task_1", "task_2", "task_3"]
    assert NodeRef("task", 2) in canvas.scene.nodes


def test_palette_and_double_click_add_nodes(qtbot: QtBot) -> None:
    editor = three_tasks()
    canvas = make_canvas(qtbot, editor)
    qtbot.mouseClick(canvas.buttons["addTask"], Qt.MouseButton.LeftButton)
    assert [task.key for task in editor.document.tasks][-1] == "task_4"
    assert canvas.scene.selected_refs() == [NodeRef("task", 3)]
    empty = node(canvas, "agent", 1).mapToScene(QPointF(20, 260))  # below the agents
    qtbot.mouseDClick(canvas.view.viewport(), Qt.MouseButton.LeftButton,
                      pos=canvas.view.mapFromScene(empty))
    assert [agent.key for agent in editor.document.agents] == ["agent_1", "agent_2", "agent_3"]
    x, y = editor.document.layout["agent:agent_3"]
    assert abs(x - empty.x()) < 2 and abs(y - empty.y()) < 2
    assert node(canvas, "agent", 2).pos() == QPointF(x, y)
    assert editor.undo_stack.count() == 2
    editor.undo_stack.undo()
    assert len(editor.document.agents) == 2 and "agent:agent_3" not in editor.document.layout


def test_move_earlier_and_later_change_the_task_order(qtbot: QtBot) -> None:
    editor = three_tasks()
    canvas = make_canvas(qtbot, editor)
    click(qtbot, canvas, node(canvas, "task", 2))
    qtbot.mouseClick(canvas.buttons["earlier"], Qt.MouseButton.LeftButton)
    assert [task.key for task in editor.document.tasks] == ["task_1", "task_3", "task_2"]
    assert canvas.scene.selected_refs() == [NodeRef("task", 1)]  # the selection follows
    assert canvas.scene.graph.node(NodeRef("task", 1)) is not None
    assert canvas.scene.graph.node(NodeRef("task", 1)).number == 2  # type: ignore[union-attr]
    qtbot.mouseClick(canvas.buttons["earlier"], Qt.MouseButton.LeftButton)
    said = messages_of(canvas)
    qtbot.mouseClick(canvas.buttons["earlier"], Qt.MouseButton.LeftButton)
    assert [task.key for task in editor.document.tasks] == ["task_3", "task_1", "task_2"]
    assert said == ["The task is first already."]
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert [task.key for task in editor.document.tasks] == ["task_1", "task_2", "task_3"]
    # Alt+Down on the canvas: the selected task runs one place later.
    click(qtbot, canvas, node(canvas, "task", 0))
    qtbot.keyClick(canvas.view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert [task.key for task in editor.document.tasks] == ["task_2", "task_1", "task_3"]


def test_dragging_a_node_saves_its_place_as_one_undo_step(qtbot: QtBot) -> None:
    editor = three_tasks()
    canvas = make_canvas(qtbot, editor)
    item = node(canvas, "task", 0)
    start = middle_of(item)
    before = item.pos()
    drag(qtbot, canvas, start, start + QPointF(120, 40))
    x, y = editor.document.layout["task:task_1"]
    assert abs(x - (before.x() + 120)) < 3 and abs(y - (before.y() + 40)) < 3
    assert editor.undo_stack.count() == 1
    assert node(canvas, "task", 0).pos() == QPointF(x, y)  # redrawn from the document
    qtbot.mouseClick(canvas.buttons["layout"], Qt.MouseButton.LeftButton)
    assert editor.document.layout == {}
    assert node(canvas, "task", 0).pos() == before


def test_a_read_only_crew_cannot_be_changed_on_the_canvas(qtbot: QtBot) -> None:
    editor = three_tasks()
    editor.read_only = True
    canvas = make_canvas(qtbot, editor)
    canvas.set_locks(Locks(everything="This example is read-only."))
    said = messages_of(canvas)
    connect(qtbot, canvas, node(canvas, "agent", 1), node(canvas, "task", 1))
    click(qtbot, canvas, node(canvas, "task", 1))
    qtbot.keyClick(canvas.view, Qt.Key.Key_Delete)
    assert not node(canvas, "task", 0).flags() & node(canvas, "task", 0).GraphicsItemFlag.ItemIsMovable
    assert editor.undo_stack.count() == 0
    assert said == ["This example is read-only."]
    assert not canvas.buttons["addTask"].isEnabled()


def test_a_project_keeps_its_structure_and_fields_set_in_code(qtbot: QtBot) -> None:
    editor = three_tasks()
    canvas = make_canvas(qtbot, editor)
    canvas.set_locks(Locks(structure="made by its files",
                           fields={("task_2", "agent"): "Set in code at crew.py:9"}))
    said = messages_of(canvas)
    connect(qtbot, canvas, node(canvas, "agent", 1), node(canvas, "task", 1))
    assert said == ["Set in code at crew.py:9"]
    connect(qtbot, canvas, node(canvas, "agent", 1), node(canvas, "task", 2))
    assert editor.document.tasks[2].agent == "agent_2"  # a YAML field: allowed
    click(qtbot, canvas, node(canvas, "task", 0))
    qtbot.keyClick(canvas.view, Qt.Key.Key_Delete)
    assert said[-1] == "made by its files"
    assert len(editor.document.tasks) == 3
