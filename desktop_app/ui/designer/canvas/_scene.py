"""`CrewScene`: the graphics scene of one crew document, rebuilt from its `Graph`.

The scene is only a picture of the document: `show` throws the old items away and makes new
ones from the graph and the node places, keeping the selection by what the nodes show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtCore import QObject, QRectF
from PySide6.QtWidgets import QGraphicsScene

from desktop_app.ui.designer.canvas._graph import Graph, NodeRef
from desktop_app.ui.designer.canvas._items import EdgeItem, NodeItem

__all__ = ["CrewScene"]


class CrewScene(QGraphicsScene):
    """The nodes and edges of the crew being designed.

    Attributes:
        graph: What is drawn now.
        nodes: The node items by what they show.
        edges: The edge items, in the graph's order.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        """Starts empty."""
        super().__init__(parent)
        self.graph = Graph((), ())
        self.nodes: dict[NodeRef, NodeItem] = {}
        self.edges: list[EdgeItem] = []
        self._shape: object = None

    def show(self, graph: Graph, places: Mapping[NodeRef, tuple[float, float]], *,
             movable: bool, selected: Iterable[NodeRef] = ()) -> None:
        """Draws ``graph`` with its nodes at ``places``, selecting the nodes in ``selected``.

        When only texts or problems changed (typing in a form), the items stay and take the
        new texts: a full rebuild of a large crew per keystroke would be too slow. Emits no
        ``selectionChanged`` while it rebuilds (the caller says what changed).
        """
        shape = (tuple(node.ref for node in graph.nodes), graph.edges, dict(places), movable)
        blocked = self.blockSignals(True)
        try:
            if shape == self._shape:
                for node in graph.nodes:
                    if self.nodes[node.ref].node != node:
                        self.nodes[node.ref].set_node(node)
                self.graph = graph
            else:
                self._shape = shape
                self._rebuild(graph, places, movable)
            wanted = [ref for ref in selected if ref in self.nodes]
            if self.selected_refs() != wanted:
                self.clearSelection()
                for ref in wanted:
                    self.nodes[ref].setSelected(True)
        finally:
            self.blockSignals(blocked)

    def _rebuild(self, graph: Graph, places: Mapping[NodeRef, tuple[float, float]],
                 movable: bool) -> None:
        """Throws the old items away and makes new ones."""
        self.clear()
        self.graph = graph
        self.nodes, self.edges = {}, []
        for node in graph.nodes:
            item = NodeItem(node, movable=movable and node.key is not None)
            x, y = places[node.ref]
            item.setPos(x, y)
            self.addItem(item)
            self.nodes[node.ref] = item
        for edge in graph.edges:
            line = EdgeItem(edge, self.nodes[edge.source], self.nodes[edge.target])
            self.addItem(line)
            self.edges.append(line)
        self.setSceneRect(self.room())

    def room(self) -> QRectF:
        """The drawing's bounds with a margin to pan and drop new nodes into."""
        bounds = self.itemsBoundingRect()
        if bounds.isEmpty():
            bounds = QRectF(0, 0, 800, 500)
        return bounds.adjusted(-400, -300, 400, 300)

    def selected_refs(self) -> list[NodeRef]:
        """The selected nodes, by what they show."""
        return [ref for ref, item in self.nodes.items() if item.isSelected()]

    def selected_edges(self) -> list[EdgeItem]:
        """The selected edges."""
        return [item for item in self.edges if item.isSelected()]

    def node_at(self, point_items: Iterable[object], skip: NodeItem | None = None
                ) -> NodeItem | None:
        """The first node among ``point_items`` (items under a point), other than ``skip``."""
        for item in point_items:
            owner = item
            while owner is not None and not isinstance(owner, NodeItem):
                owner = getattr(owner, "parentItem", lambda: None)()
            if isinstance(owner, NodeItem) and owner is not skip:
                return owner
        return None
