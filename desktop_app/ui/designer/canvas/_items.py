"""The canvas's graphics items: a `NodeItem` per agent, task, manager or knowledge source and
an `EdgeItem` per line between them.

Nodes are rounded boxes coloured by kind, with a task's number in its corner, an agent's
tools as chips, a red badge when the part has problems (the messages are its tooltip), and a
port (the small circle on the right) to drag connections from. Edges are curves with an
arrow head; an edge follows its nodes when they move.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop_app.ui._icons import tinted
from desktop_app.ui.designer.canvas._graph import Edge, Node

__all__ = ["EdgeItem", "NodeItem", "PORT_RADIUS"]

PORT_RADIUS = 7.0
_SIZES = {"agent": (210.0, 86.0), "task": (230.0, 74.0), "manager": (190.0, 56.0),
          "knowledge": (170.0, 50.0)}
_FILL = {"agent": "#dbeafe", "task": "#fef3c7", "manager": "#ede9fe", "knowledge": "#d1fae5"}
_LINE = {"agent": "#2563eb", "task": "#b45309", "manager": "#7c3aed", "knowledge": "#047857"}
_ICONS = {"agent": "agent", "task": "task", "manager": "manager", "knowledge": "knowledge"}
_EDGE_PENS: dict[str, tuple[str, Qt.PenStyle, float]] = {
    "assign": ("#2563eb", Qt.PenStyle.SolidLine, 2.0),
    "context": ("#64748b", Qt.PenStyle.SolidLine, 2.0),  # mid tones: light and dark themes
    "default_context": ("#94a3b8", Qt.PenStyle.DashLine, 1.5),
    "knowledge": ("#047857", Qt.PenStyle.DotLine, 1.5),
    "manages": ("#7c3aed", Qt.PenStyle.DotLine, 1.5),
}
_EDGE_TIPS = {
    "assign": "{source} does {target}",
    "context": "{target} reads the output of {source}",
    "default_context": "{target} reads every earlier task (CrewAI's default context, until "
                       "it names its own); delete this edge to give it none",
    "knowledge": "{target} knows {source}",
    "manages": "{source} delegates to {target}",
}


class NodeItem(QGraphicsItem):
    """A box for one part of the crew.

    Attributes:
        node: What it shows.
        edges: The edges that start or end here (moved along with it).
        badge: The red problem badge (None when the part has no problems).
    """

    def __init__(self, node: Node, *, movable: bool) -> None:
        """Makes the item for ``node``; ``movable`` lets the user drag it around."""
        super().__init__()
        self.node = node
        self.edges: list[EdgeItem] = []
        self.width, self.height = _SIZES[node.ref.kind]
        flags = (QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                 | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        if movable:
            flags |= QGraphicsItem.GraphicsItemFlag.ItemIsMovable
        self.setFlags(flags)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # cheap repaints
        self.setZValue(1)
        self.setAcceptHoverEvents(True)
        self.badge: QGraphicsEllipseItem | None = None
        self.set_node(node)

    def set_node(self, node: Node) -> None:
        """Shows ``node`` (new texts or problems of the same part) in this item."""
        self.node = node
        self.setToolTip("\n".join(filter(None, [node.title, node.subtitle, *node.problems])))
        if self.badge is not None:
            self.badge.setParentItem(None)  # type: ignore[arg-type]  # Qt takes nullptr
            if self.badge.scene() is not None:
                self.badge.scene().removeItem(self.badge)
            self.badge = None
        if node.problems:
            self.badge = self._make_badge()
        for edge in self.edges:
            edge.retip()
        self.update()

    def _make_badge(self) -> QGraphicsEllipseItem:
        badge = QGraphicsEllipseItem(self.width - 11, -9, 20, 20, self)
        badge.setBrush(QColor("#dc2626"))
        badge.setPen(QPen(QColor("white"), 2))
        badge.setToolTip("\n".join(self.node.problems))
        badge.setZValue(2)
        return badge

    def boundingRect(self) -> QRectF:  # Qt override  # noqa: N802
        """The box with room for the port, the number and the badge."""
        return QRectF(-12, -12, self.width + 12 + PORT_RADIUS * 2 + 4, self.height + 24)

    def box(self) -> QRectF:
        """The box itself, in item coordinates."""
        return QRectF(0, 0, self.width, self.height)

    def port_center(self) -> QPointF:
        """The port's middle, in scene coordinates."""
        return self.mapToScene(QPointF(self.width, self.height / 2))

    def port_hit(self, scene_point: QPointF) -> bool:
        """Whether ``scene_point`` is on the port (where connections are dragged from)."""
        if self.node.ref.kind not in ("agent", "task"):
            return False
        delta = scene_point - self.port_center()
        return math.hypot(delta.x(), delta.y()) <= PORT_RADIUS + 3

    def anchor(self, side: str) -> QPointF:
        """A point of the box's edge ("left", "right", "top", "bottom"), in scene coordinates."""
        points = {"left": QPointF(0, self.height / 2), "right": QPointF(self.width, self.height / 2),
                  "top": QPointF(self.width / 2, 0), "bottom": QPointF(self.width / 2, self.height)}
        return self.mapToScene(points[side])

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # Qt override  # noqa: N802
        """A cross over the port says a connection can be dragged from there."""
        on_port = self.port_hit(event.scenePos())
        self.setCursor(Qt.CursorShape.CrossCursor if on_port else Qt.CursorShape.ArrowCursor)
        super().hoverMoveEvent(event)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        """Moves the edges along with the node (Qt override)."""
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.follow()
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:  # Qt override
        """Draws the box, its texts, its number, chips and port."""
        kind = self.node.ref.kind
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(_LINE[kind]), 3.0 if self.isSelected() else 1.4))
        painter.setBrush(QColor(_FILL[kind]))
        painter.drawRoundedRect(self.box(), 9, 9)
        self._paint_texts(painter)
        painter.drawPixmap(QPointF(self.width - 32, 8), tinted(_ICONS[kind], _LINE[kind], 18))
        if self.node.number is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(_LINE[kind]))
            painter.drawEllipse(QRectF(-10, -10, 24, 24))
            painter.setPen(QColor("white"))
            painter.drawText(QRectF(-10, -10, 24, 24), Qt.AlignmentFlag.AlignCenter,
                             str(self.node.number))
        if kind in ("agent", "task"):
            painter.setPen(QPen(QColor(_LINE[kind]), 1.5))
            painter.setBrush(QColor("white"))
            painter.drawEllipse(QPointF(self.width, self.height / 2), PORT_RADIUS, PORT_RADIUS)

    def _paint_texts(self, painter: QPainter) -> None:
        bold = QFont(painter.font())
        bold.setBold(True)
        width = int(self.width - 50)  # the kind's icon is at the right
        painter.setPen(QColor("#111827"))
        painter.setFont(bold)
        painter.drawText(QPointF(14, 22), QFontMetrics(bold).elidedText(
            self.node.title, Qt.TextElideMode.ElideRight, width))
        plain = QFont(bold)
        plain.setBold(False)
        painter.setFont(plain)
        painter.setPen(QColor("#374151"))
        painter.drawText(QPointF(14, 42), QFontMetrics(plain).elidedText(
            self.node.subtitle, Qt.TextElideMode.ElideRight, int(self.width - 24)))
        if self.node.chips:
            self._paint_chips(painter, plain)

    def _paint_chips(self, painter: QPainter, font: QFont) -> None:
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        metrics = QFontMetrics(small)
        painter.setFont(small)
        x, shown = 12.0, list(self.node.chips)
        while shown:
            label = shown[0] if x + metrics.horizontalAdvance(shown[0]) + 14 < self.width - 40 \
                else f"+{len(shown)}"
            rect = QRectF(x, 54, metrics.horizontalAdvance(label) + 12, 20)
            painter.setPen(QPen(QColor(_LINE["agent"]), 1))
            painter.setBrush(QColor("white"))
            painter.drawRoundedRect(rect, 9, 9)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
            if label.startswith("+"):
                break
            x += rect.width() + 4
            shown.pop(0)


class EdgeItem(QGraphicsPathItem):
    """A line from one node to another, with an arrow head at the target.

    Attributes:
        edge: What it shows.
    """

    def __init__(self, edge: Edge, source: NodeItem, target: NodeItem) -> None:
        """Makes the line and attaches it to both nodes."""
        super().__init__()
        self.edge, self.source, self.target = edge, source, target
        color, style, width = _EDGE_PENS[edge.kind]
        if not edge.valid:
            color, style = "#dc2626", Qt.PenStyle.DashLine
        self._color = QColor(color)
        pen = QPen(self._color, width, style)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.setPen(pen)
        self.setZValue(0)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self._head = QPolygonF()
        source.edges.append(self)
        target.edges.append(self)
        self.retip()
        self.follow()

    def retip(self) -> None:
        """Says in the tooltip what the edge means, with the nodes' titles as they are now."""
        edge = self.edge
        tip = _EDGE_TIPS[edge.kind].format(source=self.source.node.title,
                                           target=self.target.node.title)
        self.setToolTip(tip if edge.valid else tip + " (invalid: it runs later)")

    def follow(self) -> None:
        """Redraws the curve between the nodes where they are now."""
        self.prepareGeometryChange()
        side = "left" if self.edge.kind == "manages" else "right"  # clear of the tasks
        path, end, direction = _curve(self.source, self.target, side)
        self.setPath(path)
        self._head = _arrow_head(end, direction)

    def shape(self) -> QPainterPath:  # Qt override
        """A wider band than the line, so it is easy to click."""
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:  # Qt override  # noqa: N802
        """The curve and its arrow head."""
        return super().boundingRect().united(self._head.boundingRect()).adjusted(-8, -8, 8, 8)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:  # Qt override
        """Draws the curve (thicker when selected) and its arrow head."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self.pen())
        if self.isSelected():
            pen.setWidthF(pen.widthF() + 2.5)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(self._color))
        painter.drawPolygon(self._head)


def _curve(source: NodeItem, target: NodeItem, side: str
           ) -> tuple[QPainterPath, QPointF, QPointF]:
    """The curve between two nodes, where it ends and the direction it arrives from (nodes
    in one column are joined by an arc on ``side``)."""
    src_box = source.sceneBoundingRect()
    dst_box = target.sceneBoundingRect()
    if dst_box.left() > src_box.right() - 20:  # target in a column to the right
        start, end = source.anchor("right"), target.anchor("left")
        bend = max(40.0, (end.x() - start.x()) / 2)
        c1, c2 = start + QPointF(bend, 0), end - QPointF(bend, 0)
    elif abs(dst_box.center().x() - src_box.center().x()) < 60:  # same column: an arc
        start = source.anchor(side)
        end = target.anchor(side) - QPointF(0, 18)  # beside the port, so the head shows
        bulge = (50.0 + 0.3 * abs(end.y() - start.y())) * (1 if side == "right" else -1)
        c1, c2 = start + QPointF(bulge, 0), end + QPointF(bulge, 0)
    else:
        below = dst_box.top() >= src_box.bottom()
        start = source.anchor("bottom" if below else "top")
        end = target.anchor("top" if below else "bottom")
        drop = QPointF(0, max(30.0, abs(end.y() - start.y()) / 2) * (1 if below else -1))
        c1, c2 = start + drop, end - drop
    path = QPainterPath(start)
    path.cubicTo(c1, c2, end)
    return path, end, end - c2


def _arrow_head(tip: QPointF, direction: QPointF) -> QPolygonF:
    length = math.hypot(direction.x(), direction.y()) or 1.0
    ux, uy = direction.x() / length, direction.y() / length
    back = QPointF(tip.x() - ux * 11, tip.y() - uy * 11)
    side = QPointF(-uy * 5, ux * 5)
    return QPolygonF([tip, back + side, back - side])
