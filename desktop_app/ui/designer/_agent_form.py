"""`AgentForm`: the fields of one agent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from desktop_app.documents import allow_new_knowledge_files
from desktop_app.documents.model import CrewDocument, KnowledgeSourceSpec
from desktop_app.engine._local_models import LocalModel
from desktop_app.ui.designer import _edits
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.designer._edits import Loc
from desktop_app.ui.designer._form_base import SpecForm
from desktop_app.ui.designer._knowledge import KnowledgeList
from desktop_app.ui.designer._tool_picker import ToolPicker
from desktop_app.ui.widgets.local_models import (
    LocalModelFinder,
    offer_local_models,
    shared_finder,
    tool_warning,
)
from desktop_app.ui.widgets.tasks import TaskOwner

COMMON_MODELS: tuple[str, ...] = (
    "openai/gpt-4o-mini",
    "openai/gpt-4o",
    "openai/gpt-4.1-mini",
    "anthropic/claude-3-5-haiku-latest",
    "anthropic/claude-3-7-sonnet-latest",
    "gemini/gemini-2.0-flash",
    "groq/llama-3.1-8b-instant",
    "ollama/llama3.2",
    "lm_studio/qwen2.5-7b-instruct",
    "openai/sim",
)
"""Models offered in the model box; any litellm model string may be typed instead.
`openai/sim` is CrewDesk's offline simulator. Models of Ollama and LM Studio servers running
on this machine are added with a "local" badge (`ui/widgets/local_models.py`)."""

class AgentForm(SpecForm):
    """Edits one agent: role, goal, backstory, model, credential, tools (a `ToolPicker`: the
    tool catalog with search and each tool's needs), code execution and the knowledge only
    this agent draws on.

    Signals:
        edited(): The user changed a field.
    """

    def __init__(
        self,
        editor: CrewEditor,
        tasks: TaskOwner | None = None,
        parent: QWidget | None = None,
        *,
        local_models: LocalModelFinder | None = None,
    ) -> None:
        """Builds the form; `show_agent` picks the agent to show.

        Args:
            editor: The crew being designed.
            tasks: Owns the tasks of the knowledge list's dialogs (the view's).
            parent: The Qt parent.
            local_models: Finds the local servers' models for the model box (the app's
                shared finder when None).
        """
        super().__init__(editor, "agents", parent)
        self.key_edit = self.line("key", "Key", "how tasks name this agent, e.g. researcher")
        self.role_edit = self.line("role", "Role", "e.g. Senior Research Analyst")
        self.goal_edit = self.text("goal", "Goal")
        self.backstory_edit = self.text("backstory", "Backstory", 96)
        self.model_box = self.combo("llm", "Model", editable=True)
        self.model_box.addItems(COMMON_MODELS)
        _placeholder(self.model_box, "the provider's default model")
        self.local_warning = QLabel()
        self.local_warning.setObjectName("localModelWarning")
        self.local_warning.setWordWrap(True)
        self.local_warning.setStyleSheet("color: #b9770e;")
        self.local_warning.hide()
        self.form.addRow("", self.local_warning)
        self._finder = local_models if local_models is not None else shared_finder()
        self._finder.found.connect(self._on_finder_found)
        self.model_box.currentTextChanged.connect(self._show_tool_warning)
        offer_local_models(self.model_box, self._finder.models)
        self._finder.refresh()
        self.credential_box = self.combo("credential", "Credential", editable=True)
        _placeholder(self.credential_box, "the provider's stored key")
        self.base_url_edit: QLineEdit = self.line(
            "base_url", "Base URL", "only for a local or OpenAI-compatible server"
        )
        # Not `tasks or ...`: an owner with no task yet is falsy (TaskOwner.__len__).
        tasks = tasks if tasks is not None else TaskOwner()
        self.tool_picker = ToolPicker(tasks)
        self.tool_picker.toolsEdited.connect(self._on_tool_picker_tools_edited)
        self.add_row("tools", "Tools", self.tool_picker, lambda _value: None)
        self.code_box = self.check("allow_code_execution", "Code", "Allow code execution")
        self.max_iter_box = self.spin("max_iter", "Max iterations", "engine default")
        self.knowledge = KnowledgeList("agents", tasks)
        self.knowledge.sourcesEdited.connect(self._on_knowledge_sources_edited)
        self.add_row("knowledge_sources", "Knowledge", self.knowledge, lambda _value: None)

    def set_credentials(self, names: Sequence[str]) -> None:
        """Offers these credential names (from the configured providers)."""
        current = self.credential_box.currentText()
        blocked = self.credential_box.blockSignals(True)
        self.credential_box.clear()
        self.credential_box.addItems(["", *names])
        self.credential_box.setEditText(current)
        self.credential_box.blockSignals(blocked)

    def show_agent(
        self, doc: CrewDocument, index: int, issues: Mapping[Loc, Sequence[str]]
    ) -> None:
        """Shows agent `index` of `doc` (nothing when out of range)."""
        self.index = index if 0 <= index < len(doc.agents) else -1
        self.setEnabled(self.index >= 0)
        if self.index < 0:
            return
        agent = doc.agents[self.index]
        values = agent.model_dump()
        self.show_values(values, issues)
        self._show_tool_warning(self.model_box.currentText())
        self.tool_picker.show_tools(agent.tools)
        self.knowledge.show_sources(agent.knowledge_sources)

    def _on_knowledge_sources_edited(self, specs: list[KnowledgeSourceSpec]) -> None:
        if self.index < 0:
            return
        loc = ("agents", self.index, "knowledge_sources")
        # One undo step per added or removed source (set_field would merge them).
        # A file picked with Add file… is allowed by name (it may be outside the crew's folder).
        self._editor.edit("Change agent knowledge", lambda doc: allow_new_knowledge_files(
            doc, _edits.set_value(doc, loc, specs)))
        self.edited.emit()

    def _on_tool_picker_tools_edited(self, names: list[str]) -> None:
        self.commit("tools", names)

    def _on_finder_found(self, models: list[LocalModel]) -> None:
        offer_local_models(self.model_box, models)
        self._show_tool_warning(self.model_box.currentText())

    def _show_tool_warning(self, model: str) -> None:
        """Warns under the model box when it names a local model that cannot call tools."""
        warning = tool_warning(self._finder.models, model)
        self.local_warning.setText(warning or "")
        self.local_warning.setVisible(warning is not None)


def _placeholder(box: QComboBox, text: str) -> None:
    edit = box.lineEdit()
    if edit is not None:
        edit.setPlaceholderText(text)
