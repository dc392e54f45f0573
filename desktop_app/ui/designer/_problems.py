"""The designer's problems list, in plain words, and the jump from a problem to its field.

Errors (the crew cannot be saved) come first, then what would fail when the crew runs
(severity ``run``: a tool CrewDesk cannot build, a placeholder an input set leaves empty),
then warnings (``{ topic }`` typos, unbalanced braces, inputs no placeholder uses). Each line
names its place as people read it (``Task 2 "write" has no agent``); a click (or Enter) on it
shows the tab, selects the agent or task and puts the focus on the field (`jump_to`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QScrollArea, QWidget

from desktop_app.documents._checks import plain_text
from desktop_app.documents.model import CrewDocument, DocumentIssue

if TYPE_CHECKING:
    from desktop_app.ui.designer._view import DesignerView

__all__ = ["ProblemsList", "jump_to", "notes_for"]

Loc = tuple[str | int, ...]

LOC_ROLE = Qt.ItemDataRole.UserRole
"""The items' data role holding the issue's place (a tuple)."""

_MARKS = {"error": "✖", "run": "▶✖", "warning": "⚠"}
"""How a line starts, by severity (the text says it too, for screen readers)."""

_CREW_FIELDS = {"name": "name_edit", "description": "description_edit",
                "process": "process_box", "manager_llm": "manager_model_box",
                "manager_agent": "manager_agent_box", "memory": "memory_box",
                "embedder": "embedder_box"}
"""Crew-page places and the attribute of `CrewPage` that edits them."""


class ProblemsList(QListWidget):
    """The crew's problems, one plain line each; activating a line asks to show its field.

    Signals:
        placeActivated(object): The user clicked a problem at this place (a ``Loc`` tuple).
    """

    placeActivated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds an empty list (object name ``problems``)."""
        super().__init__(parent)
        self.setObjectName("problems")
        self.setWordWrap(True)
        self.itemClicked.connect(self._on_self_item_clicked)
        self.itemActivated.connect(self._on_self_item_clicked)

    def show_issues(self, doc: CrewDocument, errors: Sequence[tuple[Loc, str]],
                    notes: Sequence[DocumentIssue] = ()) -> None:
        """Lists ``errors`` (which block saving), then ``notes`` (run failures, warnings).

        Args:
            doc: The crew, to name places in plain words.
            errors: The designer's blocking issues.
            notes: `CrewDocument.run_problems` (and the like), in their order.
        """
        self.clear()
        issues = [DocumentIssue(loc, message, "error", "") for loc, message in errors]
        issues += sorted(notes, key=lambda note: note.severity != "run")
        for issue in issues:
            text = issue.plain or plain_text(doc, issue.loc, issue.message)
            prefix = {"error": "", "run": "Fails when run: ", "warning": "Warning: "}
            item = QListWidgetItem(f"{_MARKS[issue.severity]} {prefix[issue.severity]}{text}")
            item.setData(LOC_ROLE, issue.loc)
            item.setToolTip("Click to show this field")
            self.addItem(item)
        if not issues:
            self.addItem("No problems: the crew can be saved and run.")

    def texts(self) -> list[str]:
        """The lines shown (tests and accessibility)."""
        return [self.item(row).text() for row in range(self.count())]

    def _on_self_item_clicked(self, item: QListWidgetItem) -> None:
        loc = item.data(LOC_ROLE)
        if isinstance(loc, tuple):
            self.placeActivated.emit(loc)


def notes_for(view: DesignerView) -> list[DocumentIssue]:
    """What would fail or go wrong when the open crew runs (tools are not checked for a
    CrewAI project's crew: its code makes them)."""
    return view.editor.document.run_problems(check_tools=view.open_project is None)


def jump_to(view: DesignerView, loc: Loc) -> QWidget | None:
    """Shows the field at ``loc``: its tab, its agent or task, the focus on its editor.

    Returns:
        The widget given the focus, or None when the place has no editor of its own.
    """
    section = str(loc[0]) if loc else ""
    if section in ("agents", "tasks") and len(loc) > 1 and isinstance(loc[1], int):
        page = view.agents_page if section == "agents" else view.tasks_page
        form: QWidget = view.agent_form if section == "agents" else view.task_form
        view.tabs.setCurrentWidget(page)
        page.select(loc[1])
        field = str(loc[2]) if len(loc) > 2 else "key"
        target = form.findChild(QWidget, f"{section}_{field}")
    else:
        view.tabs.setCurrentWidget(view.crew_page)
        name = str(loc[-1]) if loc and section in ("settings", "name", "description",
                                                      "process") else ""
        attribute = _CREW_FIELDS.get(name)
        target = getattr(view.crew_page, attribute) if attribute else None
    if target is None:
        return None
    _scroll_to(target)
    target.setFocus(Qt.FocusReason.OtherFocusReason)
    return target


def _scroll_to(widget: QWidget) -> None:
    """Scrolls the nearest scroll area around ``widget`` so that it is in view."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    if isinstance(parent, QScrollArea):
        parent.ensureWidgetVisible(widget)
