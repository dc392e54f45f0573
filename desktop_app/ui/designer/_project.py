"""The designer's view of a CrewAI project: where it is, what its code sets, what failed.

`ProjectPanel` sits above the designer's tabs while a project is open. It says where the
project is and whether its code runs; lists, read-only, what the project's code sets (tools,
output models, callbacks ... each with its file and line); and shows the `ProjectError` of a
project whose code failed to load, or, for a project opened without running its code, what
the static import could not read. `lock_rows` makes the form rows of an agent or task
read-only except those that live in the project's YAML files.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.documents._crewai_jsonc import JsoncLayout
from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.model import CrewDocument
from desktop_app.documents.project_crew import (
    AGENT_YAML_FIELDS,
    TASK_YAML_FIELDS,
    ProjectCrew,
    reread,
    save_project_crew,
)
from desktop_app.ui._theme import themed_sheet
from desktop_app.ui.designer._form_base import SpecForm
from desktop_app.ui.projects._session import OpenProject

__all__ = [
    "ProjectPanel",
    "code_notes",
    "lock_form",
    "lock_rows",
    "save_into_project",
    "unlock_rows",
]

_UNTRUSTED = (
    "Opened without running its code: only its YAML files were read. Tools, output models, "
    "callbacks and other settings made in code are not shown and a run leaves them out."
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ProjectPanel(QFrame):
    """Shows the open CrewAI project (hidden while a library crew is open).

    Signals:
        trustChangeRequested(str): "Change trust…" was pressed: ask again whether the code
            of this project folder may run.
    """

    trustChangeRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds the panel, hidden."""
        super().__init__(parent)
        self.setObjectName("projectPanel")
        themed_sheet(self, "#projectPanel { background: #eef2ff; border: 1px solid #a5b4fc;"
                     " border-radius: 4px; } QLabel { color: #1e1b4b; }",
                     "#projectPanel { background: #23284a; border: 1px solid #4f56a6;"
                     " border-radius: 4px; } QLabel { color: #e0e7ff; }")
        self.title = QLabel()
        self.title.setObjectName("projectTitle")
        self.title.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("projectError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c;")
        self.note = QLabel()
        self.note.setObjectName("projectNote")
        self.note.setWordWrap(True)
        self.code = QListWidget()
        self.code.setObjectName("projectCodeList")
        self.code.setMaximumHeight(110)
        self.trust_button = QPushButton("Change trust…")
        self.trust_button.setObjectName("projectTrustButton")
        self.trust_button.setToolTip("Ask again whether this folder's code may run")
        self.trust_button.clicked.connect(self._on_trust_button_clicked)
        self._root = ""
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.trust_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        for widget in (self.error, self.note, self.code):
            layout.addWidget(widget)
        self.hide()

    def _on_trust_button_clicked(self) -> None:
        if self._root:
            self.trustChangeRequested.emit(self._root)

    def show_project(self, opened: OpenProject) -> None:
        """Shows this project."""
        crew = opened.crew
        jsonc = isinstance(crew.layout, JsoncLayout)
        self._root = str(opened.root)
        self.trust_button.setVisible(not jsonc)
        how = ("a crew.jsonc project; saving writes into its files" if jsonc
               else "its code runs" if opened.runs_code
               else "its code does not run")
        self.title.setText(f"<b>CrewAI project</b> {_escape(str(opened.root))} · {how}. "
                           "Saving writes the YAML fields back into the project's files.")
        self.show_error(opened.error)
        notes = [] if opened.trusted or jsonc else [_UNTRUSTED, *_static_notes(crew)]
        notes += [f"⚠ {message}" for message in crew.ignored]
        self.note.setText("\n".join(notes))
        self.note.setVisible(bool(notes))
        lines = code_lines(crew)
        self.code.clear()
        self.code.addItems(lines)
        self.code.setVisible(bool(lines))
        self.show()

    def show_error(self, message: str) -> None:
        """Shows why the project's code failed ("" hides it)."""
        self.error.setText(f"<b>The project's code failed to load:</b> {_escape(message)}"
                           if message else "")
        self.error.setToolTip(message)
        self.error.setVisible(bool(message))


def _static_notes(crew: ProjectCrew) -> list[str]:
    return [f"{notice.path.name}: {notice.field}: {notice.message}"
            for notice in crew.loaded.notices][:12]


def code_lines(crew: ProjectCrew) -> list[str]:
    """One line per field the project's code sets: ``agent 'x' · tools: A, B — file:line``."""
    lines = []
    for (kind, key), fields in crew.code.items():
        for item in fields:
            detail = f": {item.detail}" if item.detail else ""
            lines.append(f"{kind[:-1]} '{key}' · {item.name}{detail} (read-only, in code) — "
                         f"{item.where()}")
    for label, item in crew.code_only:
        lines.append(f"{label}: made wholly in code (read-only) — {item.where()}")
    return lines


def code_notes(crew: ProjectCrew, kind: str, key: str) -> dict[str, str]:
    """Tooltips of the fields of an agent or task that its code sets, by field name."""
    return {item.name: f"Set in code at {item.where()}: change it there."
            for item in crew.code_fields((kind, key))}


def lock_rows(form: SpecForm, editable: Collection[str], notes: Mapping[str, str]) -> None:
    """Makes the form's rows read-only except ``editable`` ones not set in code (``notes``)."""
    for name, row in form.rows.items():
        allowed = name in editable and name not in notes
        row.setEnabled(allowed)
        row.setToolTip(notes.get(name, "" if allowed else
                                 "Not in the project's YAML files: it is made by its code."))


def unlock_rows(form: SpecForm) -> None:
    """Makes every row editable again (a library crew)."""
    for row in form.rows.values():
        row.setEnabled(True)
        row.setToolTip("")


def yaml_fields(kind: str) -> tuple[str, ...]:
    """The fields of an agent or task that live in the project's YAML files."""
    return AGENT_YAML_FIELDS if kind == "agents" else TASK_YAML_FIELDS


def lock_form(form: SpecForm, opened: OpenProject | None, kind: str, key: str | None) -> None:
    """Locks the rows of a project's agent or task that do not live in its YAML (unlocks
    every row for a library crew)."""
    if opened is None or key is None:
        unlock_rows(form)
    else:
        lock_rows(form, yaml_fields(kind), code_notes(opened.crew, kind, key))


async def save_into_project(opened: OpenProject, doc: CrewDocument) -> tuple[bool, str]:
    """Writes ``doc``'s YAML-backed values into the project's files (in a worker thread)
    and reads them again.

    Returns:
        Whether everything was saved (nothing refused), and a message for the status line.
    """
    try:
        result = await asyncio.to_thread(save_project_crew, opened.crew, doc)
        opened.crew = await asyncio.to_thread(reread, opened.crew, doc)
    except CrewFileError as exc:
        return False, f"Not saved:\n{exc}"
    names = ", ".join(path.name for path in result.written) or "nothing changed"
    message = f"Saved into the project ({names})." + "".join(
        f"\nNot saved: {line}" for line in result.refused)
    return not result.refused, message
