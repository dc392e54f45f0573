"""`CrewCanvas`: the designer's canvas of the crew, with its palette, on a `CrewEditor`.

The canvas observes the editor: every `documentChanged` redraws the scene from the document.
Every gesture on the canvas (connect, delete, add, move, reorder, auto-layout) becomes one
edit through `CrewEditor.edit`, so it is one undo step and ends in the same document the
forms edit. `Locks` keeps read-only crews read-only here too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.documents.model import CrewDocument
from desktop_app.ui import _icons
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.designer.canvas import _changes
from desktop_app.ui.designer.canvas._graph import AddKind, NodeRef, build_graph, positions
from desktop_app.ui.designer.canvas._items import EdgeItem
from desktop_app.ui.designer.canvas._scene import CrewScene
from desktop_app.ui.designer.canvas._view import CanvasView

__all__ = ["CrewCanvas", "Locks"]

Change = Callable[[CrewDocument], CrewDocument]

_PALETTE_ICONS = {"addAgent": "add-agent", "addTask": "add-task", "earlier": "up",
                  "later": "down", "delete": "delete", "layout": "layout", "fit": "fit",
                  "zoomIn": "zoom-in", "zoomOut": "zoom-out"}


@dataclass(frozen=True)
class Locks:
    """What the canvas may not change, and why (the reasons are shown to the user).

    Attributes:
        everything: Set for a read-only crew (an example): no edit at all.
        structure: Set when agents and tasks cannot be added, removed, moved or reordered
            (a CrewAI project's are made by its files).
        fields: Task fields set elsewhere, by (task key, "agent" or "context").
    """

    everything: str = ""
    structure: str = ""
    fields: Mapping[tuple[str, str], str] = field(default_factory=dict)


class CrewCanvas(QWidget):
    """The crew as a graph the user edits directly.

    Attributes:
        editor: The crew it draws and edits (shared with the forms).
        scene: The drawing of the document.
        view: The zoomable, pannable view of it.
        buttons: The palette's buttons by name (addAgent, addTask, earlier, later, delete,
            layout, fit, zoomIn, zoomOut).

    Signals:
        nodeSelected(object): The selected node changed (a `NodeRef`, or None).
        message(str): Something to tell the user (an edit that was refused, and why).
    """

    nodeSelected = Signal(object)
    message = Signal(str)

    def __init__(self, editor: CrewEditor, parent: QWidget | None = None) -> None:
        """Builds the canvas and draws the editor's document."""
        super().__init__(parent)
        self.setObjectName("crewCanvas")
        self.editor = editor
        self.locks = Locks()
        self.scene = CrewScene(self)
        self.scene.setBackgroundBrush(self.palette().color(QPalette.ColorRole.Base))
        self.view = CanvasView(self.scene)
        self.problems_label = QLabel()
        self.problems_label.setObjectName("canvasCrewProblems")
        self.problems_label.setStyleSheet("color: #dc2626;")  # readable on light and dark
        self._selected: NodeRef | None = None
        self._crew: tuple[str | None, str | None] | None = None  # whose crew is drawn
        self._fit_pending = True
        self.buttons: dict[str, QToolButton] = {}
        self.actions_by_name: dict[str, QAction] = {}
        self._build()
        self.scene.selectionChanged.connect(self._on_scene_selection_changed)
        self.view.connectRequested.connect(self._on_view_connect_requested)
        self.view.deleteRequested.connect(self.delete_selection)
        self.view.addRequested.connect(self._on_view_add_requested)
        self.view.nodesMoved.connect(self._on_view_nodes_moved)
        self.view.moveRequested.connect(self.move_selected_task)
        editor.documentChanged.connect(self.redraw)
        self.redraw()

    def _build(self) -> None:
        hint = QLabel("Drag from ○ to connect · drag the ground to pan · double-click to add "
                      "· Delete removes")
        hint.setWordWrap(True)  # a narrow canvas wraps it rather than cutting it off
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # muted in both themes
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self._build_palette())
        column.addWidget(self.view, 1)
        row = QHBoxLayout()
        row.addWidget(hint, 1)
        row.addWidget(self.problems_label)
        column.addLayout(row)

    def _build_palette(self) -> QToolBar:
        """The palette: a tool bar (it folds what does not fit into a menu)."""
        palette = QToolBar("Canvas")
        palette.setObjectName("canvasPalette")
        palette.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        palette.setIconSize(_icons.icon_size(palette))
        for text, name, slot, tip in (
            ("Agent", "addAgent", lambda: self.add_node("agent"), "Add an agent"),
            ("Task", "addTask", lambda: self.add_node("task"), "Add a task (runs last)"),
            ("Earlier", "earlier", lambda: self.move_selected_task(-1),
             "Run the selected task one place earlier (Alt+Up)"),
            ("Later", "later", lambda: self.move_selected_task(1),
             "Run the selected task one place later (Alt+Down)"),
            ("Delete", "delete", self.delete_selection, "Delete the selected nodes or edges"),
            ("Auto-layout", "layout", self.auto_layout, "Forget moved places: lay out again"),
            ("Fit to view", "fit", self.view.fit, "Show the whole crew"),
            ("Zoom in", "zoomIn", lambda: self.view.zoom_by(1.2), "Zoom in (Ctrl+wheel, +)"),
            ("Zoom out", "zoomOut", lambda: self.view.zoom_by(1 / 1.2),
             "Zoom out (Ctrl+wheel, -)"),
        ):
            action = QAction(text, self)
            _icons.use(action, _PALETTE_ICONS[name])
            action.setObjectName(f"canvas_{name}")
            action.setToolTip(tip)
            action.triggered.connect(slot)
            palette.addAction(action)
            self.actions_by_name[name] = action
            button = palette.widgetForAction(action)
            assert isinstance(button, QToolButton)
            button.setObjectName(f"canvas_{name}")
            if name in ("fit", "zoomIn", "zoomOut"):  # known pictures: the tooltip says it
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            self.buttons[name] = button
        return palette

    # -- showing -----------------------------------------------------------------------

    def set_locks(self, locks: Locks) -> None:
        """Says what may not be changed here (and redraws: nodes of a locked crew stay put)."""
        if locks == self.locks:
            return
        self.locks = locks
        self.redraw()

    def redraw(self) -> None:
        """Draws the editor's document again (it changed)."""
        doc = self.editor.document
        graph = build_graph(doc, self.editor.issues())
        movable = not (self.locks.everything or self.locks.structure)
        selected = [self._selected] if self._selected is not None else []
        self.scene.show(graph, positions(graph, doc.layout), movable=movable, selected=selected)
        self._fit_new_crew()
        self.view.editable = not self.locks.everything
        for name in ("addAgent", "addTask", "earlier", "later", "delete", "layout"):
            self.actions_by_name[name].setEnabled(movable or name == "delete" and self.view.editable)
        count = len(graph.crew_problems)
        self.problems_label.setText(f"⚠ {count} crew problem(s)" if count else "")
        self.problems_label.setToolTip("\n".join(graph.crew_problems))
        if self.scene.selected_refs() != selected:
            self._on_scene_selection_changed()

    def _fit_new_crew(self) -> None:
        """Another crew was opened: show all of it (now, or once the canvas is shown)."""
        crew = (self.editor.crew_id, self.editor.draft_id)
        if crew != self._crew:
            self._crew, self._fit_pending = crew, True
        if self._fit_pending and self.isVisible():
            self._fit_pending = False
            self.view.fit()

    def changeEvent(self, event: QEvent) -> None:  # Qt override  # noqa: N802
        """The canvas's ground follows the theme (light or dark)."""
        if event.type() == QEvent.Type.PaletteChange:
            self.scene.setBackgroundBrush(self.palette().color(QPalette.ColorRole.Base))
        super().changeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # Qt override  # noqa: N802
        """Fits the crew in view once the canvas has its size."""
        super().showEvent(event)
        if self._fit_pending:
            QTimer.singleShot(0, self, self._fit_new_crew)

    def select(self, ref: NodeRef | None) -> None:
        """Selects one node (None: nothing)."""
        if self.scene.selected_refs() == ([] if ref is None else [ref]):
            return
        self.scene.clearSelection()
        if ref is not None and ref in self.scene.nodes:
            self.scene.nodes[ref].setSelected(True)

    def _on_scene_selection_changed(self) -> None:
        refs = self.scene.selected_refs()
        ref = refs[0] if len(refs) == 1 else None
        if ref != self._selected:
            self._selected = ref
            self.nodeSelected.emit(ref)

    # -- edits -------------------------------------------------------------------------

    def _apply(self, text: str, change: Change) -> bool:
        """Sends one edit to the editor; a refused edit is told through `message`."""
        if self.locks.everything:
            self.message.emit(self.locks.everything)
            return False
        try:
            after = change(self.editor.document)
        except ValueError as exc:
            self.message.emit(str(exc))
            return False
        self.editor.push(text, after)
        return True

    def _field_lock(self, task: int, name: str) -> str:
        key = self.editor.document.tasks[task].key
        return self.locks.fields.get((key, name), "")

    def _on_view_connect_requested(self, source: NodeRef, target: NodeRef) -> None:
        self.connect_nodes(source, target)

    def connect_nodes(self, source: NodeRef, target: NodeRef) -> bool:
        """Agent to task assigns the task; task to task makes the target read the source."""
        if target.kind != "task" or source.kind not in ("agent", "task"):
            self.message.emit("Drag from an agent to a task to assign it, or from a task to a "
                              "later task to pass on its output.")
            return False
        field_name = "agent" if source.kind == "agent" else "context"
        reason = self._field_lock(target.index, field_name)
        if reason:
            self.message.emit(reason)
            return False
        if source.kind == "agent":
            return self._apply("Assign agent", lambda doc: _changes.assign(
                doc, source.index, target.index))
        return self._apply("Add context", lambda doc: _changes.add_context(
            doc, source.index, target.index))

    def delete_selection(self) -> bool:
        """Deletes the selected edges and nodes as one undo step."""
        edges = self.scene.selected_edges()
        refs = self.scene.selected_refs()
        if not edges and not refs:
            return False
        reason = self._delete_lock(edges, refs)
        if reason:
            self.message.emit(reason)
            return False
        text = ("Delete" if len(edges) + len(refs) > 1 else
                "Delete edge" if edges else f"Delete {refs[0].kind}")
        if not self._apply(text, lambda doc: _delete(doc, edges, refs)):
            return False
        if refs:  # the indexes after a deleted node shift: select nothing
            self.select(None)
        return True

    def _delete_lock(self, edges: list[EdgeItem], refs: list[NodeRef]) -> str:
        if refs and self.locks.structure:
            return self.locks.structure
        for item in edges:
            edge = item.edge
            if edge.kind in ("knowledge", "manages"):
                return "Knowledge sources and the manager are set in the crew's form."
            field_name = "agent" if edge.kind == "assign" else "context"
            reason = self._field_lock(edge.target.index, field_name)
            if reason:
                return reason
        return ""

    def add_node(self, kind: AddKind, at: QPointF | None = None) -> bool:
        """Adds an agent or a task (placed at ``at``, else where the layout puts it)."""
        if self.locks.structure:
            self.message.emit(self.locks.structure)
            return False
        place = (at.x(), at.y()) if at is not None else None
        if not self._apply(f"Add {kind}", lambda doc: _changes.add_node(doc, kind, place)):
            return False
        doc = self.editor.document
        self.select(NodeRef(kind, len(doc.agents if kind == "agent" else doc.tasks) - 1))
        return True

    def _on_view_add_requested(self, point: QPointF) -> None:
        self.add_node("agent" if point.x() < 450 else "task", point)  # by the column

    def _on_view_nodes_moved(self, places: dict[str, tuple[float, float]]) -> None:
        self._apply("Move node" if len(places) == 1 else "Move nodes",
                    lambda doc: _changes.set_places(doc, places))

    def move_selected_task(self, offset: int) -> bool:
        """Runs the selected task one place earlier (-1) or later (+1)."""
        ref = self._selected
        if ref is None or ref.kind != "task":
            self.message.emit("Select a task to move it earlier or later.")
            return False
        if self.locks.structure:
            self.message.emit(self.locks.structure)
            return False
        moved = NodeRef("task", ref.index + offset)
        self._selected = moved  # the selection follows the task
        if not self._apply("Move task", lambda doc: _changes.move_task(doc, ref.index, offset)):
            self._selected = ref
            return False
        self.nodeSelected.emit(moved)
        return True

    def auto_layout(self) -> None:
        """Lays the crew out again (forgets moved places) and fits it in view."""
        if self.editor.document.layout and not self.locks.structure:
            self._apply("Auto-layout", _changes.clear_layout)
        self.view.fit()


def _delete(doc: CrewDocument, edges: list[EdgeItem], refs: list[NodeRef]) -> CrewDocument:
    """Removes edges first (they name parts by index), then nodes from the last up."""
    for item in edges:
        edge = item.edge
        if edge.kind == "assign":
            doc = _changes.unassign(doc, edge.target.index)
        elif edge.kind == "context":
            doc = _changes.remove_context(doc, edge.source.index, edge.target.index)
        elif edge.kind == "default_context":
            doc = _changes.no_default_context(doc, edge.target.index)
    for ref in sorted(refs, key=lambda r: (r.kind, r.index), reverse=True):
        doc = _changes.remove_node(doc, ref)
    return doc
