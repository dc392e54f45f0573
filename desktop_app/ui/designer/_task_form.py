"""`TaskForm`: the fields of one task, with its agent and its `context` (earlier tasks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import QCheckBox, QWidget

from desktop_app.documents.model import CrewDocument
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.designer._edits import Loc
from desktop_app.ui.designer._form_base import SpecForm, checked_names, fill_checklist


class TaskForm(SpecForm):
    """Edits one task: description, expected output, agent, context, human input, output file.

    `context` None (CrewAI's default: a sequential crew passes on the earlier outputs) is shown
    as a ticked "default" box; unticked, the listed earlier tasks are the context.

    Signals:
        edited(): The user changed a field.
    """

    def __init__(self, editor: CrewEditor, parent: QWidget | None = None) -> None:
        """Builds the form; `show_task` picks the task to show."""
        super().__init__(editor, "tasks", parent)
        self.key_edit = self.line("key", "Key", "how other tasks name this one")
        self.name_edit = self.line("name", "Name", "optional display name")
        self.description_edit = self.text("description", "Description", 110)
        self.expected_edit = self.text("expected_output", "Expected output", 72)
        self.agent_box = self.combo("agent", "Agent", editable=False, none_text="(no agent)")
        self.default_context_box = QCheckBox("Earlier outputs, as CrewAI does by default")
        self.default_context_box.setObjectName("tasks_default_context")
        self.default_context_box.toggled.connect(self._on_default_context_box_toggled)
        self.form.addRow("Context", self.default_context_box)
        self.context_list = self.checklist("context", "")
        self.human_input_box = self.check(
            "human_input", "Human input", "Ask me for feedback on the answer before it is final"
        )
        self.output_file_edit = self.line(
            "output_file", "Output file", "optional, e.g. output/report.md", empty_is_none=True
        )
        self.output_file_edit.setToolTip(
            "Write the final answer to this file. A relative path starts from the crew file's "
            "folder (a project's folder); {placeholders} are filled from the inputs."
        )

    def show_task(
        self, doc: CrewDocument, index: int, issues: Mapping[Loc, Sequence[str]]
    ) -> None:
        """Shows task `index` of `doc` (nothing when out of range)."""
        self.index = index if 0 <= index < len(doc.tasks) else -1
        self.setEnabled(self.index >= 0)
        if self.index < 0:
            return
        task = doc.tasks[self.index]
        self._fill_agents(doc)
        self.show_values(task.model_dump(), issues)
        earlier = [other.key for other in doc.tasks[: self.index]]
        context = task.context or []
        names = earlier + [key for key in context if key not in earlier]
        fill_checklist(self.context_list, names, context)
        blocked = self.default_context_box.blockSignals(True)
        self.default_context_box.setChecked(task.context is None)
        self.default_context_box.blockSignals(blocked)
        self.context_list.setEnabled(task.context is not None)

    def _fill_agents(self, doc: CrewDocument) -> None:
        wanted: list[tuple[str, str | None]] = [("(no agent)", None)]
        wanted += [(f"{agent.key} — {agent.role}", agent.key) for agent in doc.agents]
        box = self.agent_box
        current = [(box.itemText(row), box.itemData(row)) for row in range(box.count())]
        if current == wanted:
            return
        blocked = box.blockSignals(True)
        box.clear()
        for text, key in wanted:
            box.addItem(text, key)
        box.blockSignals(blocked)

    def _on_default_context_box_toggled(self, on: bool) -> None:
        self.context_list.setEnabled(not on)
        self.commit("context", None if on else checked_names(self.context_list))
