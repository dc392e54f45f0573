"""The canvas's edits of a crew document, as pure functions returning a new document.

Each is sent through `CrewEditor.edit` as one undo step, like the forms' edits (and built on
the same `_edits` functions where the forms have one). An edit the crew cannot take (a task
reading a later one) raises `ValueError` with a sentence for the status line. No Qt here.
"""

from __future__ import annotations

from collections.abc import Mapping

from desktop_app.documents.model import CrewDocument
from desktop_app.ui.designer import _edits
from desktop_app.ui.designer.canvas._graph import AddKind, NodeRef, layout_key

__all__ = [
    "add_context",
    "add_node",
    "assign",
    "clear_layout",
    "move_task",
    "no_default_context",
    "remove_context",
    "remove_node",
    "set_places",
    "unassign",
]


def add_context(doc: CrewDocument, source: int, target: int) -> CrewDocument:
    """Task ``target`` reads the output of task ``source`` (an explicit `context` edge).

    A task with CrewAI's default context (every earlier task) gets a list of just ``source``.

    Raises:
        ValueError: ``source`` does not run before ``target``, or it is read already.
    """
    tasks = doc.tasks
    if source == target:
        raise ValueError("A task cannot read its own output.")
    if source > target:
        raise ValueError(f"Task {target + 1} '{tasks[target].key}' runs before task "
                         f"{source + 1} '{tasks[source].key}': a task can only read earlier "
                         "tasks (move it later first).")
    context = tasks[target].context
    key = tasks[source].key
    if context is not None and key in context:
        raise ValueError(f"Task '{tasks[target].key}' reads '{key}' already.")
    return _edits.set_value(doc, ("tasks", target, "context"), [*(context or []), key])


def remove_context(doc: CrewDocument, source: int, target: int) -> CrewDocument:
    """Task ``target`` no longer reads task ``source`` (named in its `context`)."""
    task = doc.tasks[target]
    key = doc.tasks[source].key
    kept = [name for name in task.context or [] if name != key]
    return _edits.set_value(doc, ("tasks", target, "context"), kept)


def no_default_context(doc: CrewDocument, target: int) -> CrewDocument:
    """Task ``target`` stops reading every earlier task (CrewAI's default): an empty context."""
    return _edits.set_value(doc, ("tasks", target, "context"), [])


def assign(doc: CrewDocument, agent: int, task: int) -> CrewDocument:
    """Agent ``agent`` does task ``task``."""
    return _edits.set_value(doc, ("tasks", task, "agent"), doc.agents[agent].key)


def unassign(doc: CrewDocument, task: int) -> CrewDocument:
    """Task ``task`` has no agent (a hierarchical crew's manager picks one)."""
    return _edits.set_value(doc, ("tasks", task, "agent"), None)


def remove_node(doc: CrewDocument, ref: NodeRef) -> CrewDocument:
    """Removes an agent or a task as the forms do (a removed task leaves the others'
    `context`; tasks keep naming a removed agent and show the problem), and its place.

    Raises:
        ValueError: The node is not an agent or a task (edit those in the crew's form).
    """
    if ref.kind == "agent":
        key = layout_key("agent", doc.agents[ref.index].key)
        result = _edits.remove_agent(doc, ref.index)
    elif ref.kind == "task":
        key = layout_key("task", doc.tasks[ref.index].key)
        result = _edits.remove_task(doc, ref.index)
    else:
        raise ValueError("The manager and knowledge sources are set in the crew's form.")
    if not any(layout_key(ref.kind, spec.key) == key
               for spec in (result.agents if ref.kind == "agent" else result.tasks)):
        result.layout.pop(key, None)
    return result


def add_node(doc: CrewDocument, kind: AddKind, at: tuple[float, float] | None) -> CrewDocument:
    """Adds an agent or a task (as the forms' Add buttons do), placed at ``at`` if given."""
    result = _edits.add_agent(doc) if kind == "agent" else _edits.add_task(doc)
    if at is not None:
        spec = result.agents[-1] if kind == "agent" else result.tasks[-1]
        result.layout[layout_key(kind, spec.key)] = (float(at[0]), float(at[1]))
    return result


def set_places(doc: CrewDocument, places: Mapping[str, tuple[float, float]]) -> CrewDocument:
    """Keeps where these nodes are drawn (by their ``layout`` keys)."""
    result = doc.model_copy(deep=True)
    for key, (x, y) in places.items():
        result.layout[key] = (round(float(x), 1), round(float(y), 1))
    return result


def clear_layout(doc: CrewDocument) -> CrewDocument:
    """Forgets every saved place: the canvas lays the crew out by itself again."""
    result = doc.model_copy(deep=True)
    result.layout = {}
    return result


def move_task(doc: CrewDocument, index: int, offset: int) -> CrewDocument:
    """Moves a task earlier (-1) or later (+1) in the run order.

    Raises:
        ValueError: It is first (or last) already.
    """
    if not 0 <= index + offset < len(doc.tasks):
        raise ValueError("The task is " + ("first" if offset < 0 else "last") + " already.")
    return _edits.move_item(doc, "tasks", index, offset)
