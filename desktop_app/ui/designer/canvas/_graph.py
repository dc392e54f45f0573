"""What the canvas draws, worked out from a crew document without Qt: nodes, edges, places.

`build_graph` turns a `CrewDocument` (and the designer's issues) into `Node`s and `Edge`s;
`auto_layout` places them in columns (knowledge, agents with the manager above them, tasks
in run order), and `positions` takes the places saved in the document's ``layout`` over
the automatic ones. The scene draws exactly this, so tests can read it too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from desktop_app.documents.model import CrewDocument
from desktop_app.ui.designer._edits import Loc

__all__ = [
    "Edge",
    "Graph",
    "Node",
    "NodeRef",
    "auto_layout",
    "build_graph",
    "layout_key",
    "positions",
]

NodeKind = Literal["agent", "task", "manager", "knowledge"]
AddKind = Literal["agent", "task"]
EdgeKind = Literal["assign", "context", "default_context", "knowledge", "manages"]

COLUMN_X = {"knowledge": 0.0, "agent": 280.0, "manager": 280.0, "task": 600.0}
ROW_STEP = 130.0
"""Vertical room for one node in a column of the automatic layout."""


@dataclass(frozen=True)
class NodeRef:
    """Which part of the document a node shows.

    Attributes:
        kind: "agent", "task", "manager" or "knowledge".
        index: The agent's or task's index; a knowledge source's index in its list.
        owner: For a knowledge source, the index of the agent it belongs to (-1: the crew's).
    """

    kind: NodeKind
    index: int = 0
    owner: int = -1


@dataclass(frozen=True)
class Node:
    """One box of the canvas.

    Attributes:
        ref: The part it shows.
        key: Its key in the document's ``layout`` (None: its place is not saved).
        title: The bold first line (role, task name or key ...).
        subtitle: A short second line.
        number: A task's place in the run order (1-based), else None.
        chips: Tools of an agent, as small labels.
        problems: What is wrong with this part (drawn as a red badge).
    """

    ref: NodeRef
    key: str | None
    title: str
    subtitle: str = ""
    number: int | None = None
    chips: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edge:
    """A line between two nodes.

    Attributes:
        kind: "assign" (agent does task), "context" (target reads source), "default_context"
            (CrewAI's default: a task that names no context reads every earlier task; drawn
            once, from the task just before it), "knowledge" or "manages".
        source: Where the arrow starts.
        target: Where it points.
        valid: False for a context edge from a task that runs later (drawn red).
    """

    kind: EdgeKind
    source: NodeRef
    target: NodeRef
    valid: bool = True


@dataclass(frozen=True)
class Graph:
    """Everything the canvas draws for one document.

    Attributes:
        nodes: The boxes.
        edges: The lines.
        crew_problems: Problems of the crew as a whole (drawn in the canvas's corner).
    """

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    crew_problems: tuple[str, ...] = field(default=())

    def node(self, ref: NodeRef) -> Node | None:
        """The node showing ``ref``, if there is one."""
        return next((node for node in self.nodes if node.ref == ref), None)


def layout_key(kind: str, key: str) -> str:
    """The document ``layout`` key of an agent or task node: ``agent:<key>``, ``task:<key>``."""
    return f"{kind}:{key}"


def _owner_of(loc: Loc) -> NodeRef | None:
    """The node an issue's place belongs to (None: the crew as a whole)."""
    if len(loc) >= 2 and loc[0] in ("agents", "tasks") and isinstance(loc[1], int):
        return NodeRef("agent" if loc[0] == "agents" else "task", loc[1])
    if loc[:2] == ("settings", "knowledge_sources") and len(loc) >= 3 and isinstance(loc[2], int):
        return NodeRef("knowledge", loc[2], -1)
    if loc[:2] in (("settings", "manager_agent"), ("settings", "manager_llm")):
        return NodeRef("manager")
    return None


def _problems(issues: Sequence[tuple[Loc, str]]) -> tuple[dict[NodeRef, list[str]], list[str]]:
    by_node: dict[NodeRef, list[str]] = {}
    crew: list[str] = []
    for loc, message in issues:
        owner = _owner_of(loc)
        if owner is None:
            crew.append(message)
        else:
            by_node.setdefault(owner, []).append(message)
    return by_node, crew


def build_graph(doc: CrewDocument, issues: Sequence[tuple[Loc, str]] = ()) -> Graph:
    """The nodes and edges of a document, with each issue on the node it belongs to."""
    problems, crew_problems = _problems(issues)
    nodes: list[Node] = []
    edges: list[Edge] = []
    _agent_nodes(doc, problems, nodes, edges)
    _task_nodes(doc, problems, nodes, edges)
    return Graph(tuple(nodes), tuple(edges), tuple(crew_problems))


def _agent_nodes(doc: CrewDocument, problems: Mapping[NodeRef, list[str]], nodes: list[Node],
                 edges: list[Edge]) -> None:
    manager_key = doc.settings.manager_agent if doc.process == "hierarchical" else None
    if doc.process == "hierarchical":
        ref = NodeRef("manager")
        who = (f"agent {manager_key}" if manager_key
               else doc.settings.manager_llm or "CrewAI's default manager")
        nodes.append(Node(ref, None, "Manager", who, problems=tuple(problems.get(ref, ()))))
        edges.extend(Edge("manages", ref, NodeRef("agent", index))
                     for index, agent in enumerate(doc.agents) if agent.key != manager_key)
    for index, spec in enumerate(doc.settings.knowledge_sources):
        ref = NodeRef("knowledge", index, -1)
        nodes.append(Node(ref, None, "Knowledge (crew)", spec.path or spec.kind,
                          problems=tuple(problems.get(ref, ()))))
    for index, agent in enumerate(doc.agents):
        ref = NodeRef("agent", index)
        subtitle = "manages the crew" if agent.key == manager_key else agent.key
        nodes.append(Node(ref, layout_key("agent", agent.key), agent.role or agent.key,
                          subtitle, chips=tuple(agent.tools),
                          problems=tuple(problems.get(ref, ()))))
        for number, spec in enumerate(agent.knowledge_sources):
            source = NodeRef("knowledge", number, index)
            nodes.append(Node(source, None, "Knowledge", spec.path or spec.kind))
            edges.append(Edge("knowledge", source, ref))


def _task_nodes(doc: CrewDocument, problems: Mapping[NodeRef, list[str]], nodes: list[Node],
                edges: list[Edge]) -> None:
    position = {task.key: index for index, task in enumerate(doc.tasks)}
    agents = {agent.key: index for index, agent in enumerate(doc.agents)}
    for index, task in enumerate(doc.tasks):
        ref = NodeRef("task", index)
        title = task.name or task.key
        subtitle = " ".join(task.description.split())[:60]
        nodes.append(Node(ref, layout_key("task", task.key), title, subtitle, number=index + 1,
                          problems=tuple(problems.get(ref, ()))))
        if task.agent is not None and task.agent in agents:
            edges.append(Edge("assign", NodeRef("agent", agents[task.agent]), ref))
        if task.context is None:  # CrewAI's default: every earlier task, drawn as one edge
            if index > 0:
                edges.append(Edge("default_context", NodeRef("task", index - 1), ref))
            continue
        for name in task.context:
            if name in position:
                source = position[name]
                edges.append(Edge("context", NodeRef("task", source), ref, source < index))


def auto_layout(graph: Graph) -> dict[NodeRef, tuple[float, float]]:
    """Places every node: knowledge left, agents (manager on top) next, tasks in run order."""
    places: dict[NodeRef, tuple[float, float]] = {}
    tasks = [node.ref for node in graph.nodes if node.ref.kind == "task"]
    for row, ref in enumerate(tasks):
        places[ref] = (COLUMN_X["task"], row * ROW_STEP)
    top = 0.0
    if graph.node(NodeRef("manager")) is not None:
        places[NodeRef("manager")] = (COLUMN_X["manager"], -ROW_STEP)
    for ref in (node.ref for node in graph.nodes if node.ref.kind == "agent"):
        rows = [places[edge.target][1] for edge in graph.edges
                if edge.kind == "assign" and edge.source == ref]
        wanted = sum(rows) / len(rows) if rows else top
        places[ref] = (COLUMN_X["agent"], max(wanted, top))
        top = places[ref][1] + ROW_STEP
    knowledge_top = 0.0
    for ref in (node.ref for node in graph.nodes if node.ref.kind == "knowledge"):
        wanted = places[NodeRef("agent", ref.owner)][1] if ref.owner >= 0 else knowledge_top
        places[ref] = (COLUMN_X["knowledge"], max(wanted, knowledge_top))
        knowledge_top = places[ref][1] + ROW_STEP * 0.7
    return places


def positions(graph: Graph, saved: Mapping[str, tuple[float, float]]
              ) -> dict[NodeRef, tuple[float, float]]:
    """Each node's place: the saved one (document ``layout``) where there is one, else the
    automatic one."""
    places = auto_layout(graph)
    for node in graph.nodes:
        if node.key is not None and node.key in saved:
            x, y = saved[node.key]
            if math.isfinite(x) and math.isfinite(y):  # a hand-edited file may say .nan
                places[node.ref] = (float(x), float(y))
    return places
