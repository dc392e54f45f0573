"""The designer's canvas beside its forms: which form a selected node shows, and what the
canvas may change for the open crew.

`DesignerView` calls these; the canvas itself lives in `ui/designer/canvas/`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.ui.designer._project import code_notes
from desktop_app.ui.designer.canvas import Locks, NodeRef

if TYPE_CHECKING:
    from desktop_app.ui.designer._view import DesignerView

__all__ = ["canvas_locks", "show_node", "show_task_row"]

_EXAMPLE = "This example is read-only: save a copy to change it."
_PROJECT = ("A CrewAI project's agents and tasks are made by its files: add, remove or "
            "reorder them there (its YAML and code).")


def show_node(view: DesignerView, ref: NodeRef | None) -> None:
    """Shows the form of the selected node beside the canvas (the inspector)."""
    if ref is None:
        return
    if ref.kind == "agent" or (ref.kind == "knowledge" and ref.owner >= 0):
        view.tabs.setCurrentWidget(view.agents_page)
        view.agents_page.select(ref.index if ref.kind == "agent" else ref.owner)
    elif ref.kind == "task":
        view.tabs.setCurrentWidget(view.tasks_page)
        view.tasks_page.select(ref.index)
    else:  # the manager, the crew's knowledge
        view.tabs.setCurrentWidget(view.crew_page)


def show_task_row(view: DesignerView, row: int) -> None:
    """The task picked in the Tasks list is selected on the canvas too."""
    if view.tabs.currentWidget() is view.tasks_page and row >= 0:
        view.canvas.select(NodeRef("task", row))


def canvas_locks(view: DesignerView) -> Locks:
    """What the canvas may not change: nothing of an example; a project's structure and the
    task fields its code sets."""
    if view.editor.read_only:
        return Locks(everything=_EXAMPLE)
    opened = view.open_project
    if opened is None:
        return Locks()
    fields: dict[tuple[str, str], str] = {}
    for task in view.editor.document.tasks:
        notes = code_notes(opened.crew, "tasks", task.key)
        fields.update({(task.key, name): notes[name] for name in ("agent", "context")
                       if name in notes})
    return Locks(structure=_PROJECT, fields=fields)
