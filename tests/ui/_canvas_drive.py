"""Drives the designer's canvas like a user: mouse presses, moves and releases on the view's
viewport at the places of real nodes and edges (shared by tests/ui/test_canvas_*.py)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QGraphicsItem
from pytestqt.qtbot import QtBot

from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.designer.canvas import CrewCanvas, NodeRef
from desktop_app.ui.designer.canvas._items import EdgeItem, NodeItem

Left = Qt.MouseButton.LeftButton


def make_canvas(qtbot: QtBot, editor: CrewEditor | None = None) -> CrewCanvas:
    """A shown canvas on ``editor`` (a new one with the starter crew by default)."""
    canvas = CrewCanvas(editor or CrewEditor())
    qtbot.addWidget(canvas)
    canvas.resize(1000, 700)
    canvas.show()
    canvas.view.fit()
    return canvas


def at(canvas: CrewCanvas, point: QPointF) -> QPoint:
    """The viewport position of a scene point."""
    return canvas.view.mapFromScene(point)


def node(canvas: CrewCanvas, kind: str, index: int) -> NodeItem:
    """The item of a node now on the canvas."""
    return canvas.scene.nodes[NodeRef(kind, index)]  # type: ignore[arg-type]


def middle_of(item: NodeItem) -> QPointF:
    """The scene point in the middle of a node's box."""
    return item.mapToScene(item.box().center())


def drag(qtbot: QtBot, canvas: CrewCanvas, start: QPointF, end: QPointF) -> None:
    """Presses at ``start``, moves in steps and lets go at ``end`` (scene points)."""
    viewport = canvas.view.viewport()
    qtbot.mousePress(viewport, Left, pos=at(canvas, start))
    for step in (0.25, 0.5, 0.75, 1.0):
        qtbot.mouseMove(viewport, at(canvas, start + (end - start) * step))
    qtbot.mouseRelease(viewport, Left, pos=at(canvas, end))


def connect(qtbot: QtBot, canvas: CrewCanvas, source: NodeItem, target: NodeItem) -> None:
    """Drags from ``source``'s port to the middle of ``target``."""
    drag(qtbot, canvas, source.port_center(), middle_of(target))


def click(qtbot: QtBot, canvas: CrewCanvas, item: QGraphicsItem) -> None:
    """Clicks a node (its middle) or an edge (a point on its curve)."""
    if isinstance(item, EdgeItem):
        point = item.path().pointAtPercent(0.5)
    else:
        assert isinstance(item, NodeItem)
        point = middle_of(item)
    qtbot.mouseClick(canvas.view.viewport(), Left, pos=at(canvas, point))


def edge(canvas: CrewCanvas, kind: str, source: NodeRef, target: NodeRef) -> EdgeItem:
    """The item of an edge now on the canvas."""
    found = [item for item in canvas.scene.edges if item.edge.kind == kind
             and item.edge.source == source and item.edge.target == target]
    assert len(found) == 1, [item.edge for item in canvas.scene.edges]
    return found[0]
