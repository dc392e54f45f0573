"""`CanvasView`: the zoomable, pannable view of a `CrewScene`, and what the mouse does there.

Dragging from a node's port draws a connection (a dashed line until the button is let go over
another node); dragging a node moves it; dragging empty space, or with the middle button,
pans; Ctrl+wheel and +/- zoom; Delete removes the selection; a double-click on empty space
adds a node there. The view only reports these as signals: `CrewCanvas` turns them into edits.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsView, QWidget

from desktop_app.ui.designer.canvas._items import NodeItem
from desktop_app.ui.designer.canvas._scene import CrewScene

__all__ = ["CanvasView"]

_ZOOM_STEP = 1.2
_MIN_SCALE, _MAX_SCALE = 0.2, 3.0


class CanvasView(QGraphicsView):
    """Shows the crew scene and reports the user's gestures.

    Signals:
        connectRequested(object, object): A connection was dragged from the first node
            (`NodeRef`) to the second.
        deleteRequested(): Delete was pressed with something selected.
        addRequested(QPointF): Empty space was double-clicked at this scene point.
        nodesMoved(dict): Nodes were dragged: {layout key: (x, y)} of those that moved.
        moveRequested(int): Alt+Up (-1) or Alt+Down (+1): run the selected task earlier/later.
    """

    connectRequested = Signal(object, object)
    deleteRequested = Signal()
    addRequested = Signal(QPointF)
    nodesMoved = Signal(dict)
    moveRequested = Signal(int)

    def __init__(self, scene: CrewScene, parent: QWidget | None = None) -> None:
        """Shows ``scene``."""
        super().__init__(scene, parent)
        self.crew_scene = scene
        self.setObjectName("crewCanvasView")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        for policy in (self.setHorizontalScrollBarPolicy, self.setVerticalScrollBarPolicy):
            policy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # dragging empty space pans
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.editable = True
        self._link_from: NodeItem | None = None
        self._link_line: QGraphicsLineItem | None = None
        self._pan_from: QPoint | None = None
        self._press_places: dict[str, QPointF] = {}

    # -- zoom --------------------------------------------------------------------------

    def zoom(self) -> float:
        """The current scale (1.0: actual size)."""
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        """Zooms in (factor > 1) or out, within 20 % and 300 %."""
        wanted = min(max(self.zoom() * factor, _MIN_SCALE), _MAX_SCALE)
        self.scale(wanted / self.zoom(), wanted / self.zoom())

    def fit(self) -> None:
        """Shows the whole crew (never enlarged beyond actual size)."""
        bounds = self.crew_scene.itemsBoundingRect().adjusted(-30, -30, 30, 30)
        if bounds.isEmpty():
            return
        self.fitInView(bounds, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.zoom_by(1.0 / self.zoom())

    def wheelEvent(self, event: QWheelEvent) -> None:  # Qt override  # noqa: N802
        """Ctrl+wheel zooms; the wheel alone scrolls."""
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(_ZOOM_STEP if event.angleDelta().y() > 0 else 1 / _ZOOM_STEP)
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override  # noqa: N802
        """Delete/Backspace removes the selection; + and - zoom; Alt+Up/Down reorder."""
        key = event.key()
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if alt and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.moveRequested.emit(-1 if key == Qt.Key.Key_Up else 1)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.deleteRequested.emit()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(_ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / _ZOOM_STEP)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # -- mouse -------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt override  # noqa: N802
        """Starts a connection (on a port), a pan (empty space, middle button) or a move."""
        point = self.mapToScene(event.position().toPoint())
        node = self.crew_scene.node_at(self.items(event.position().toPoint()))
        middle = event.button() == Qt.MouseButton.MiddleButton
        if event.button() == Qt.MouseButton.LeftButton and node is not None \
                and self.editable and node.port_hit(point):
            self._start_link(node, point)
            event.accept()
            return
        if middle or (event.button() == Qt.MouseButton.LeftButton and not self.items(
                event.position().toPoint())):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            if not middle:
                self.crew_scene.clearSelection()
            event.accept()
            return
        self._press_places = {item.node.key: item.pos() for item in self.crew_scene.nodes.values()
                              if item.node.key is not None}
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # Qt override  # noqa: N802
        """Draws the connection being dragged, or pans."""
        if self._link_line is not None and self._link_from is not None:
            start = self._link_from.port_center()
            end = self.mapToScene(event.position().toPoint())
            self._link_line.setLine(start.x(), start.y(), end.x(), end.y())
            event.accept()
            return
        if self._pan_from is not None:
            delta = event.position().toPoint() - self._pan_from
            self._pan_from = event.position().toPoint()
            bar_x, bar_y = self.horizontalScrollBar(), self.verticalScrollBar()
            bar_x.setValue(bar_x.value() - delta.x())
            bar_y.setValue(bar_y.value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # Qt override  # noqa: N802
        """Ends a connection (reported when let go over another node), a pan or a move."""
        if self._link_from is not None:
            source = self._link_from
            self._end_link()
            target = self.crew_scene.node_at(self.items(event.position().toPoint()), source)
            if target is not None:
                self.connectRequested.emit(source.node.ref, target.node.ref)
            event.accept()
            return
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self._report_moves()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # Qt override  # noqa: N802
        """A double-click on empty space asks for a node there."""
        if not self.items(event.position().toPoint()):
            self.addRequested.emit(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def _start_link(self, node: NodeItem, point: QPointF) -> None:
        self._link_from = node
        start = node.port_center()
        line = QGraphicsLineItem(start.x(), start.y(), point.x(), point.y())
        line.setPen(QPen(QColor("#0f766e"), 2, Qt.PenStyle.DashLine))
        line.setZValue(5)
        self.crew_scene.addItem(line)
        self._link_line = line

    def _end_link(self) -> None:
        if self._link_line is not None:
            self.crew_scene.removeItem(self._link_line)
        self._link_from, self._link_line = None, None

    def _report_moves(self) -> None:
        before, self._press_places = self._press_places, {}
        moved = {key: (item.pos().x(), item.pos().y())
                 for item in self.crew_scene.nodes.values()
                 if (key := item.node.key) is not None and key in before
                 and item.pos() != before[key]}
        if moved:
            self.nodesMoved.emit(moved)
