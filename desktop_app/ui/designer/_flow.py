"""`TaskFlowWidget`: the tasks in the order they run, with arrows for their `context` edges.

Tasks are boxes from left to right (the run order), joined by a thin grey line; each context
edge is an arc above the boxes from the earlier task to the one that reads it. An edge that
names a later or unknown task is drawn red and dashed. Clicking a box selects the task.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.documents.model import CrewDocument

_BOX_W, _BOX_H, _GAP, _MARGIN, _ARC_ROOM = 150.0, 54.0, 40.0, 12.0, 70.0


@dataclass(frozen=True)
class FlowEdge:
    """A `context` edge: task `target` reads the output of task `source`.

    Attributes:
        source: Index of the task whose output is read (-1 when it does not exist).
        target: Index of the task that reads it.
        valid: False when the source runs later or does not exist.
    """

    source: int
    target: int
    valid: bool


def flow_edges(doc: CrewDocument) -> list[FlowEdge]:
    """The context edges of the document, in task order."""
    position = {task.key: index for index, task in enumerate(doc.tasks)}
    edges = []
    for index, task in enumerate(doc.tasks):
        for key in task.context or []:
            source = position.get(key, -1)
            edges.append(FlowEdge(source, index, 0 <= source < index))
    return edges


class TaskFlowWidget(QWidget):
    """Draws the task order and the context edges of a crew.

    Signals:
        taskClicked(int): The user clicked the box of the task with this index.
    """

    taskClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds an empty picture; `show_document` fills it."""
        super().__init__(parent)
        self.setObjectName("taskFlow")
        self._titles: list[tuple[str, str]] = []
        self._defaults: list[bool] = []
        self.edges: list[FlowEdge] = []
        self.selected = -1
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(int(_BOX_H + _ARC_ROOM + 2 * _MARGIN))

    def show_document(self, doc: CrewDocument, selected: int = -1) -> None:
        """Shows the tasks and edges of `doc`, with task `selected` highlighted."""
        self._titles = [(task.name or task.key, task.agent or "no agent") for task in doc.tasks]
        self._defaults = [task.context is None for task in doc.tasks]
        self.edges = flow_edges(doc)
        self.selected = selected
        self.setToolTip(self.describe())
        self.updateGeometry()
        self.update()

    def describe(self) -> str:
        """The picture in words (tooltip, accessibility and tests)."""
        if not self._titles:
            return "No tasks yet."
        order = " → ".join(title for title, _agent in self._titles)
        lines = [f"Order: {order}"]
        for edge in self.edges:
            target = self._titles[edge.target][0]
            source = self._titles[edge.source][0] if edge.source >= 0 else "?"
            mark = "" if edge.valid else " (invalid)"
            lines.append(f"{target} reads {source}{mark}")
        return "\n".join(lines)

    def sizeHint(self) -> QSize:  # Qt override  # noqa: N802
        """Wide enough for every box."""
        width = _MARGIN * 2 + len(self._titles) * (_BOX_W + _GAP)
        return QSize(int(max(width, 200)), int(_BOX_H + _ARC_ROOM + 2 * _MARGIN))

    def box_rect(self, index: int) -> QRectF:
        """Where the box of task `index` is drawn."""
        left = _MARGIN + index * (_BOX_W + _GAP)
        return QRectF(left, _MARGIN + _ARC_ROOM, _BOX_W, _BOX_H)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt override  # noqa: N802
        """Selects the task under the mouse."""
        for index in range(len(self._titles)):
            if self.box_rect(index).contains(event.position()):
                self.taskClicked.emit(index)
                return
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt override  # noqa: N802
        """Draws the boxes, the order line and the context arcs."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            if not self._titles:
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No tasks yet.")
                return
            self._paint_order(painter)
            for edge in self.edges:
                self._paint_edge(painter, edge)
            for index in range(len(self._titles)):
                self._paint_box(painter, index)
        finally:
            painter.end()

    def _paint_order(self, painter: QPainter) -> None:
        painter.setPen(QPen(self.palette().mid().color(), 1.5))
        for index in range(len(self._titles) - 1):
            start = self.box_rect(index)
            end = self.box_rect(index + 1)
            a = QPointF(start.right(), start.center().y())
            b = QPointF(end.left(), end.center().y())
            painter.drawLine(a, b)
            _arrow_head(painter, b, QPointF(1, 0))

    def _paint_box(self, painter: QPainter, index: int) -> None:
        rect = self.box_rect(index)
        title, agent = self._titles[index]
        palette = self.palette()
        fill = palette.highlight().color() if index == self.selected else palette.base().color()
        text_color = (
            palette.highlightedText().color() if index == self.selected else palette.text().color()
        )
        painter.setPen(QPen(palette.dark().color(), 1))
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(rect, 6, 6)
        painter.setPen(text_color)
        metrics = QFontMetrics(painter.font())
        inner = rect.adjusted(6, 4, -6, -4)
        first = metrics.elidedText(f"{index + 1}. {title}", Qt.TextElideMode.ElideRight,
                                   int(inner.width()))
        second = metrics.elidedText(agent, Qt.TextElideMode.ElideRight, int(inner.width()))
        painter.drawText(inner, int(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft), first)
        painter.drawText(inner, int(Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft),
                         second)

    def _paint_edge(self, painter: QPainter, edge: FlowEdge) -> None:
        target = self.box_rect(edge.target)
        if edge.source < 0:
            start = QPointF(target.center().x() - 20, _MARGIN)
        else:
            start = QPointF(self.box_rect(edge.source).center().x() + 10, target.top())
        end = QPointF(target.center().x() - 10, target.top())
        span = abs(end.x() - start.x())
        lift = min(_ARC_ROOM - 6, 18 + span * 0.15)
        path = QPainterPath(start)
        path.cubicTo(start + QPointF(0, -lift), end + QPointF(0, -lift), end)
        color = QColor("#2c7be5") if edge.valid else QColor("#c0392b")
        pen = QPen(color, 2)
        if not edge.valid:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.setBrush(color)
        _arrow_head(painter, end, QPointF(0, 1))


def _arrow_head(painter: QPainter, tip: QPointF, direction: QPointF) -> None:
    """A small filled triangle pointing along `direction` (a unit axis vector)."""
    back = QPointF(-direction.x() * 8, -direction.y() * 8)
    side = QPointF(-direction.y() * 4, direction.x() * 4)
    brush = painter.brush()
    painter.setBrush(painter.pen().color())
    painter.drawPolygon(QPolygonF([tip, tip + back + side, tip + back - side]))
    painter.setBrush(brush)
