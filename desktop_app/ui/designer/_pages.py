"""The designer's tabs: the crew itself, its agents, its tasks.

Each page shows the `CrewEditor`'s document when the view calls `refresh(doc, issues)`, and
sends the user's edits to the editor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.documents import allow_new_knowledge_files
from desktop_app.documents.model import CrewDocument, DocumentIssue, KnowledgeSourceSpec
from desktop_app.ui.designer import _edits
from desktop_app.ui.designer._agent_form import COMMON_MODELS
from desktop_app.ui.designer._budget_fields import BudgetFields
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.designer._edits import Loc
from desktop_app.ui.designer._form_base import SpecForm
from desktop_app.ui.designer._knowledge import KnowledgeList
from desktop_app.ui.designer._problems import ProblemsList
from desktop_app.ui.designer._safety import SafetyFields
from desktop_app.ui.widgets.fields import FieldRow
from desktop_app.ui.widgets.tasks import TaskOwner

Issues = Mapping[Loc, Sequence[str]]

EMBEDDING_MODELS: tuple[str, ...] = (
    "openai/text-embedding-3-small",
    "openai/text-embedding-3-large",
    "ollama/nomic-embed-text",
    "gemini/text-embedding-004",
)
"""Embedding models offered in the embedder box; any litellm model string may be typed."""


def embedder_text(embedder: dict[str, Any] | None) -> str:
    """The embedder setting as a model string ("" for none): ``ollama/nomic-embed-text``."""
    if embedder is None:
        return ""
    config = embedder.get("config")
    if not isinstance(config, dict):
        config = {}
    model = str(config.get("model") or config.get("model_name") or "")
    return model if "/" in model else f"{embedder.get('provider') or 'openai'}/{model}"


def embedder_of(text: str, old: dict[str, Any] | None) -> dict[str, Any] | None:
    """The embedder setting for a typed model string, keeping the old one's other settings."""
    text = text.strip()
    if not text:
        return None
    provider, _, model = text.rpartition("/")
    config = dict(old.get("config") or {}) if old is not None else {}
    config.pop("model_name", None)
    config["model"] = model
    return {**(old or {}), "provider": provider or "openai", "config": config}


class CrewPage(QWidget):
    """The crew's name, description and process, its memory and knowledge, the inputs it
    needs, and its problems.

    A hierarchical crew also shows who manages it: a model (CrewDesk makes the manager, as
    CrewAI does with `manager_llm`) or one of its agents (`manager_agent`). What its tools
    may do (approval, unsandboxed code, workspace, allowed files) is `safety`'s rows.

    Signals:
        memoryRequested(): The user asked to see the crew's memory and knowledge stores.
    """

    memoryRequested = Signal()

    def __init__(
        self, editor: CrewEditor, tasks: TaskOwner | None = None, parent: QWidget | None = None
    ) -> None:
        """Builds the page.

        Args:
            editor: The crew being designed.
            tasks: Owns the tasks of the knowledge list's dialogs (the view's).
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._editor = editor
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("crew_name")
        self.name_edit.textEdited.connect(self._on_name_edit_text_edited)
        self.name_row = FieldRow(self.name_edit)
        self.description_edit = QPlainTextEdit()
        self.description_edit.setObjectName("crew_description")
        self.description_edit.setUndoRedoEnabled(False)
        self.description_edit.setFixedHeight(64)
        self.description_edit.textChanged.connect(self._on_description_edit_text_changed)
        self.process_box = QComboBox()
        self.process_box.setObjectName("crew_process")
        self.process_box.addItems(["sequential", "hierarchical"])
        self.process_box.activated.connect(self._on_process_box_activated)
        self.manager_model_box = QComboBox()
        self.manager_model_box.setObjectName("crew_manager_llm")
        self.manager_model_box.setEditable(True)
        self.manager_model_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.manager_model_box.addItems(["", *COMMON_MODELS])
        line = self.manager_model_box.lineEdit()
        if line is not None:
            line.setPlaceholderText("a model for a manager CrewDesk makes")
        self.manager_model_box.currentTextChanged.connect(self._on_manager_model_box_changed)
        self.manager_model_row = FieldRow(self.manager_model_box)
        self.manager_agent_box = QComboBox()
        self.manager_agent_box.setObjectName("crew_manager_agent")
        self.manager_agent_box.activated.connect(self._on_manager_agent_box_activated)
        self.manager_agent_row = FieldRow(self.manager_agent_box)
        owner = tasks if tasks is not None else TaskOwner()  # an empty owner is falsy
        self._build_recall(owner)
        self.safety = SafetyFields(editor, owner, self)
        self.budget = BudgetFields(editor, owner, self)  # budgets and Rehearse (issue 16)
        self.placeholders_label = QLabel()
        self.placeholders_label.setObjectName("placeholders")
        self.placeholders_label.setWordWrap(True)
        self.problems_list = ProblemsList()
        form = _scrolled_form(self)
        form.addRow("Name", self.name_row)
        form.addRow("Description", self.description_edit)
        form.addRow("Process", self.process_box)
        form.addRow("Manager model", self.manager_model_row)
        form.addRow("Manager agent", self.manager_agent_row)
        form.addRow("Memory", self.memory_row)
        form.addRow("Embedder", self.embedder_row)
        form.addRow("Knowledge", self.knowledge_row)
        form.addRow("Approval", self.safety.approval_box)
        form.addRow("", self.safety.unsandboxed_row)
        form.addRow("Workspace", self.safety.workspace_row)
        form.addRow("Allowed files outside the folder", self.safety.allowed_row)
        form.addRow("Budget per run", self.budget.run_row)
        form.addRow("Budget per batch", self.budget.batch_row)
        form.addRow("Cost forecast", self.budget.rehearse_row)
        self._form = form
        form.addRow("Inputs needed", self.placeholders_label)
        form.addRow("Problems", self.problems_list)

    def _build_recall(self, tasks: TaskOwner) -> None:
        """The memory checkbox, the embedder box and the crew's knowledge list."""
        self.memory_box = QCheckBox("Remember across runs")  # short: the inspector is narrow
        self.memory_box.setToolTip("Short-term, long-term and entity memory, kept between runs")
        self.memory_box.setObjectName("crew_memory")
        self.memory_box.toggled.connect(self._on_memory_box_toggled)
        self.memory_button = QPushButton("Memory…")
        self.memory_button.setObjectName("crew_memory_stores")
        self.memory_button.setToolTip("Look into, reset or delete this crew's stores")
        self.memory_button.clicked.connect(self.memoryRequested)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.memory_box, 1)
        line.addWidget(self.memory_button)
        self.memory_row = FieldRow(row)
        self.embedder_box = QComboBox()
        self.embedder_box.setObjectName("crew_embedder")
        self.embedder_box.setEditable(True)
        self.embedder_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.embedder_box.addItems(["", *EMBEDDING_MODELS])
        edit = self.embedder_box.lineEdit()
        if edit is not None:
            edit.setPlaceholderText("none: full-text search only")
        self.embedder_box.currentTextChanged.connect(self._on_embedder_box_changed)
        self.embedder_row = FieldRow(self.embedder_box)
        self.knowledge = KnowledgeList("crew", tasks)
        self.knowledge.sourcesEdited.connect(self._on_knowledge_sources_edited)
        self.knowledge_row = FieldRow(self.knowledge)

    def _show_recall(self, doc: CrewDocument, issues: list[tuple[Loc, str]]) -> None:
        settings = doc.settings
        if self.memory_box.isChecked() != settings.memory:
            blocked = self.memory_box.blockSignals(True)
            self.memory_box.setChecked(settings.memory)
            self.memory_box.blockSignals(blocked)
        text = embedder_text(settings.embedder)
        if embedder_of(self.embedder_box.currentText(), settings.embedder) != settings.embedder:
            blocked = self.embedder_box.blockSignals(True)
            self.embedder_box.setCurrentText(text)
            self.embedder_box.blockSignals(blocked)
        self.knowledge.show_sources(settings.knowledge_sources)
        for name, field_row in (("memory", self.memory_row), ("embedder", self.embedder_row),
                                ("knowledge_sources", self.knowledge_row)):
            field_row.set_messages([m for loc, m in issues if loc[:2] == ("settings", name)])

    def _on_memory_box_toggled(self, on: bool) -> None:
        if on != self._editor.document.settings.memory:
            self._editor.edit("Turn memory on" if on else "Turn memory off",
                              lambda doc: _edits.set_value(doc, ("settings", "memory"), on))

    def _on_embedder_box_changed(self, text: str) -> None:
        old = self._editor.document.settings.embedder
        value = embedder_of(text, old)
        if value != old:
            self._editor.set_field(("settings", "embedder"), value, "Change embedder")

    def _on_knowledge_sources_edited(self, specs: list[KnowledgeSourceSpec]) -> None:
        loc = ("settings", "knowledge_sources")  # one undo step per added or removed source
        # A file picked with Add file… is allowed by name (it may be outside the crew's folder).
        self._editor.edit("Change crew knowledge", lambda doc: allow_new_knowledge_files(
            doc, _edits.set_value(doc, loc, specs)))

    def refresh(self, doc: CrewDocument, issues: list[tuple[Loc, str]],
                notes: Sequence[DocumentIssue] = ()) -> None:
        """Shows the document and what is wrong with it (``notes``: what would fail or go
        wrong when it runs, `CrewDocument.run_problems`)."""
        if self.name_edit.text() != doc.name:
            self.name_edit.setText(doc.name)
        if self.description_edit.toPlainText() != doc.description:
            blocked = self.description_edit.blockSignals(True)
            self.description_edit.setPlainText(doc.description)
            self.description_edit.blockSignals(blocked)
        self.process_box.setCurrentText(doc.process)
        self._show_manager(doc, issues)
        self._show_recall(doc, issues)
        self.safety.show_settings(doc)
        self.budget.show_settings(doc)
        self.name_row.set_messages([m for loc, m in issues if loc == ("name",)])
        names = doc.placeholders()
        self.placeholders_label.setText(
            ", ".join(f"{{{name}}}" for name in names) if names else "none (no {placeholders})"
        )
        self.problems_list.show_issues(doc, issues, notes)

    def _show_manager(self, doc: CrewDocument, issues: list[tuple[Loc, str]]) -> None:
        hierarchical = doc.process == "hierarchical"
        for row in (self.manager_model_row, self.manager_agent_row):
            self._form.setRowVisible(row, hierarchical)
        model = doc.settings.manager_llm or ""
        if self.manager_model_box.currentText() != model:
            blocked = self.manager_model_box.blockSignals(True)
            self.manager_model_box.setCurrentText(model)
            self.manager_model_box.blockSignals(blocked)
        wanted: list[tuple[str, str | None]] = [("(none: use the manager model)", None)]
        wanted += [(f"{agent.key} — {agent.role}", agent.key) for agent in doc.agents]
        box = self.manager_agent_box
        blocked = box.blockSignals(True)
        if [(box.itemText(i), box.itemData(i)) for i in range(box.count())] != wanted:
            box.clear()
            for text, key in wanted:
                box.addItem(text, key)
        box.setCurrentIndex(max(0, box.findData(doc.settings.manager_agent)))
        box.blockSignals(blocked)
        for name, row in (("manager_llm", self.manager_model_row),
                          ("manager_agent", self.manager_agent_row)):
            row.set_messages([m for loc, m in issues if loc == ("settings", name)])

    def _on_manager_model_box_changed(self, text: str) -> None:
        value = text.strip() or None
        if value != self._editor.document.settings.manager_llm:
            self._editor.set_field(("settings", "manager_llm"), value, "Change manager model")

    def _on_manager_agent_box_activated(self, _index: int) -> None:
        value = self.manager_agent_box.currentData()
        if value != self._editor.document.settings.manager_agent:
            self._editor.set_field(("settings", "manager_agent"), value, "Change manager agent")

    def _on_name_edit_text_edited(self, text: str) -> None:
        self._editor.set_field(("name",), text, "Rename crew")

    def _on_description_edit_text_changed(self) -> None:
        text = self.description_edit.toPlainText()
        if text != self._editor.document.description:
            self._editor.set_field(("description",), text, "Edit crew description")

    def _on_process_box_activated(self, _index: int) -> None:
        self._editor.set_field(("process",), self.process_box.currentText(), "Change process")


def _scrolled_form(page: QWidget) -> QFormLayout:
    """A form inside a scroll area filling ``page``: the page never forces the window's
    minimum size (issue 14: the designer was clipped at 1035x698), and narrow, its labels
    go above their fields."""
    inner = QWidget()
    form = QFormLayout(inner)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    scroll = QScrollArea()
    scroll.setObjectName("crewPageScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(inner)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(scroll)
    return form


class ItemsPage(QWidget):
    """The agents or the tasks: a list with add/remove/move buttons, and the selected one's form.

    Attributes:
        items_list: One line per agent or task ("⚠" marks one with problems).
        form: The form of the selected one.
    """

    def __init__(
        self,
        editor: CrewEditor,
        section: str,
        form: SpecForm,
        show: Callable[[CrewDocument, int, Issues], None],
        parent: QWidget | None = None,
    ) -> None:
        """Builds the page.

        Args:
            editor: The crew being designed.
            section: "agents" or "tasks".
            form: The form for one item.
            show: Shows item (index) of a document in the form.
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._editor, self._section, self.form, self._show = editor, section, form, show
        self._doc: CrewDocument | None = None
        self._issues: Issues = {}
        noun = section[:-1]
        self.items_list = QListWidget()
        self.items_list.setObjectName(f"{section}List")
        self.items_list.currentRowChanged.connect(self._on_items_list_current_row_changed)
        self.add_button = self._button(f"Add {noun}", f"add_{noun}", self._on_add_button_clicked)
        self.remove_button = self._button("Remove", f"remove_{noun}",
                                          self._on_remove_button_clicked)
        self.up_button = self._button("Up", f"up_{noun}", lambda: self._move(-1))
        self.down_button = self._button("Down", f"down_{noun}", lambda: self._move(1))
        self._build_layout()

    def _button(self, text: str, name: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    def _build_layout(self) -> None:
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.items_list)
        buttons = QGridLayout()  # two by two: the list stays narrow beside the form
        for position, button in enumerate(
                (self.add_button, self.remove_button, self.up_button, self.down_button)):
            buttons.addWidget(button, position // 2, position % 2)
        column.addLayout(buttons)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def refresh(self, doc: CrewDocument, issues: Issues) -> None:
        """Shows the items of the document, keeping the selection where it can."""
        self._doc, self._issues = doc, issues
        items = getattr(doc, self._section)
        lines = [self._line(index, item) for index, item in enumerate(items)]
        current = self.items_list.currentRow()
        blocked = self.items_list.blockSignals(True)
        try:
            if [self.items_list.item(r).text() for r in range(self.items_list.count())] != lines:
                self.items_list.clear()
                self.items_list.addItems(lines)
            row = min(max(current, 0), len(lines) - 1)
            self.items_list.setCurrentRow(row)
        finally:
            self.items_list.blockSignals(blocked)
        self._show(doc, self.items_list.currentRow(), issues)

    def select(self, index: int) -> None:
        """Selects item `index`."""
        self.items_list.setCurrentRow(index)

    def _line(self, index: int, item: object) -> str:
        key = getattr(item, "key", "")
        if self._section == "agents":
            detail = getattr(item, "role", "")
        else:
            detail = getattr(item, "name", None) or getattr(item, "description", "")
        detail = " ".join(str(detail).split())[:48]
        bad = any(loc[:2] == (self._section, index) for loc in self._issues)
        return f"{'⚠ ' if bad else ''}{index + 1}. {key} — {detail}"

    def _on_items_list_current_row_changed(self, row: int) -> None:
        if self._doc is not None:
            self._show(self._doc, row, self._issues)

    def _on_add_button_clicked(self) -> None:
        change = _edits.add_agent if self._section == "agents" else _edits.add_task
        self._editor.edit(f"Add {self._section[:-1]}", change)
        self.select(self.items_list.count() - 1)

    def _on_remove_button_clicked(self) -> None:
        row = self.items_list.currentRow()
        if row < 0:
            return
        if self._section == "agents":
            self._editor.edit("Remove agent", lambda doc: _edits.remove_agent(doc, row))
        else:
            self._editor.edit("Remove task", lambda doc: _edits.remove_task(doc, row))

    def _move(self, offset: int) -> None:
        row = self.items_list.currentRow()
        count = self.items_list.count()
        if not (0 <= row + offset < count):
            return
        name = "agent" if self._section == "agents" else "task"
        self._editor.edit(
            f"Move {name}", lambda doc: _edits.move_item(doc, self._section, row, offset)
        )
        self.select(row + offset)
