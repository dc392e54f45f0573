"""`FlowGraphView`: a Flow's steps as a read-only graph, nodes coloured by how far they ran.

Steps are boxes laid out in columns by their distance from a start (loops through a router
do not move a step further right); starts are marked "▶" with a thicker border; the crews a
step names in its source are listed under its name; the tooltip names its file and line.
Arrows go from what a step listens to (labelled "and"/"or" for joins, the route label for a
router's branches). `set_status` colours a node: pending grey, running blue, done green,
failed red, skipped pale and dashed.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from desktop_app.engine.flow import FlowGraph

__all__ = ["NODE_COLORS", "FlowGraphView", "columns_of"]

NODE_W, NODE_H, GAP_X, GAP_Y = 170.0, 56.0, 90.0, 28.0

NODE_COLORS: dict[str, tuple[str, str]] = {
    "pending": ("#f3f4f6", "#6b7280"),
    "running": ("#dbeafe", "#2563eb"),
    "done": ("#dcfce7", "#16a34a"),
    "failed": ("#fee2e2", "#dc2626"),
    "skipped": ("#fafafa", "#d1d5db"),
}
"""Fill and border colour of a node per `NodeStatus` value."""


def columns_of(graph: FlowGraph) -> dict[str, int]:
    """Each step's column: 0 for starts, else one more than the furthest step it waits for
    (bounded by the number of steps, so a loop cannot push a step out for ever)."""
    column = {name: 0 for name in graph.steps}
    edges = [(a, b) for a, b, _ in graph.edges() if b not in graph.starts or a != b]
    limit = len(graph.steps)
    for _ in range(limit):
        moved = False
        for source, target in edges:
            wanted = column[source] + 1
            if target not in graph.starts and column[target] < wanted <= limit:
                column[target] = wanted
                moved = True
        if not moved:
            break
    return column


class _Node(QGraphicsRectItem):
    """One step's box."""

    def __init__(self, name: str, title: str, tooltip: str, start: bool) -> None:
        super().__init__(0, 0, NODE_W, NODE_H)
        self.name = name
        self.start = start
        self.status = "pending"
        self.label = QGraphicsSimpleTextItem(title, self)
        self.label.setPos(8, 6)
        self.setToolTip(tooltip)
        self.paint_status("pending")

    def paint_status(self, status: str) -> None:
        self.status = status
        fill, border = NODE_COLORS.get(status, NODE_COLORS["pending"])
        pen = QPen(QColor(border), 3.0 if self.start else 1.6)
        if status == "skipped":
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.setBrush(QBrush(QColor(fill)))
        self.label.setBrush(QBrush(QColor("#9ca3af" if status == "skipped" else "#111827")))


class FlowGraphView(QGraphicsView):
    """The graph of one Flow class (read-only).

    Attributes:
        nodes: The box of each step, by name.
        edge_labels: `(from, to, label)` of each arrow drawn.
    """

    def __init__(self, graph: FlowGraph, crews: dict[str, list[str]] | None = None,
                 parent: QWidget | None = None) -> None:
        """Draws the graph.

        Args:
            graph: The flow's graph (`engine.flow.graph_of`).
            crews: The crews each step names (`_static.crews_by_step`).
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.setObjectName("flowGraph")
        self.graph = graph
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.nodes: dict[str, _Node] = {}
        self.edge_labels: list[tuple[str, str, str]] = []
        self._draw(crews or {})

    def set_status(self, step: str, status: str) -> None:
        """Colours a step's node (a `NodeStatus` value)."""
        node = self.nodes.get(step)
        if node is not None:
            node.paint_status(status)

    def status_of(self, step: str) -> str:
        """The status a node shows."""
        return self.nodes[step].status

    def _draw(self, crews: dict[str, list[str]]) -> None:
        column = columns_of(self.graph)
        rows: dict[int, int] = {}
        for name, step in self.graph.steps.items():
            row = rows.get(column[name], 0)
            rows[column[name]] = row + 1
            start = step.mark.start is not None
            title = ("▶ " if start else "") + name
            if step.mark.router:
                title += "  ◆ router"
            if crews.get(name):
                title += "\ncrew: " + ", ".join(crews[name])
            where = f"{step.file}:{step.line}" if step.file else "source not known"
            node = _Node(name, title, where, start)
            node.setPos(column[name] * (NODE_W + GAP_X), row * (NODE_H + GAP_Y))
            node.setZValue(1)
            self.scene().addItem(node)
            self.nodes[name] = node
        for source, target, label in self.graph.edges():
            self._arrow(self.nodes[source], self.nodes[target], label)
            self.edge_labels.append((source, target, label))
        self.setSceneRect(self.scene().itemsBoundingRect().adjusted(-20, -20, 20, 20))

    def _arrow(self, source: _Node, target: _Node, label: str) -> None:
        scene = self.scene()
        a = source.sceneBoundingRect()
        b = target.sceneBoundingRect()
        if b.left() > a.right():
            start, end = QPointF(a.right(), a.center().y()), QPointF(b.left(), b.center().y())
        else:  # back or same column (a loop, a join in one column): below the boxes
            start, end = QPointF(a.center().x(), a.bottom()), QPointF(b.center().x(), b.bottom())
        pen = QPen(QColor("#4b5563"), 1.4)
        if label and label not in ("and", "or"):
            pen.setStyle(Qt.PenStyle.DashLine)  # a router's branch
        line = QLineF(start, end)
        scene.addLine(line, pen)
        scene.addPolygon(_head(line), pen, QBrush(QColor("#4b5563")))
        if label:
            text = scene.addSimpleText(label)
            text.setBrush(QBrush(QColor("#7c3aed")))
            middle = line.pointAt(0.5)
            text.setPos(middle.x() - text.boundingRect().width() / 2, middle.y() - 16)
            text.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, False)
            text.setData(0, label)


def _head(line: QLineF) -> QPolygonF:
    """An arrow head at the end of `line`."""
    if line.length() == 0:
        return QPolygonF()
    back = QLineF(line.p2(), line.p1())
    back.setLength(9.0)
    left, right = QLineF(back), QLineF(back)
    left.setAngle(back.angle() + 25)
    right.setAngle(back.angle() - 25)
    return QPolygonF([line.p2(), left.p2(), right.p2()])


