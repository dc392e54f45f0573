"""The designer's canvas: the crew as nodes and edges, edited directly.

`CrewCanvas` (the widget with its palette) draws a `CrewEditor`'s document and sends every
gesture back through it as one undo step; `Locks` keeps read-only crews read-only there.
"""

from desktop_app.ui.designer.canvas._canvas import CrewCanvas, Locks
from desktop_app.ui.designer.canvas._graph import Edge, Graph, Node, NodeRef, build_graph

__all__ = ["CrewCanvas", "Edge", "Graph", "Locks", "Node", "NodeRef", "build_graph"]
