"""History's "Fork here…": run a crew of the history again from task N, changed.

`ForkDialog` shows a run's tasks; the user picks task N and may edit its description, its
agent's model and the inputs. Tasks before N reuse the run's stored outputs (no model call),
tasks N.. run. The dialog builds a `ForkChoice`; `attach_forks` starts it through the app's
`RunController` (so it streams in a dashboard panel like any run) with the run it came from
recorded as its parent, so the fork shows under the original run in History.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.storage.forks import ForkError, reused_outputs
from desktop_app.ui.widgets.fields import named

if TYPE_CHECKING:
    from desktop_app.documents.model import CrewDocument
    from desktop_app.engine.outputs import TaskOutput
    from desktop_app.storage.history import RunRecord
    from desktop_app.ui.controllers.run_controller import ProjectRun, RunController

__all__ = ["ForkChoice", "ForkDialog", "attach_forks", "forked_document", "launch_fork"]


@dataclass(frozen=True, slots=True)
class ForkChoice:
    """A fork to run: the changed crew, its inputs, and what it reuses of its parent run."""

    parent_run_id: str
    start: int
    document: CrewDocument
    inputs: dict[str, Any]
    reuse: dict[int, TaskOutput]
    mode: str


def _snapshot_tasks(record: RunRecord) -> list[dict[str, Any]]:
    tasks = record.crew_snapshot.get("tasks")
    return [task for task in tasks if isinstance(task, dict)] if isinstance(tasks, list) else []


def _agent_of(record: RunRecord, task: dict[str, Any]) -> dict[str, Any]:
    agents = record.crew_snapshot.get("agents")
    for agent in agents if isinstance(agents, list) else []:
        if isinstance(agent, dict) and agent.get("key") == task.get("agent"):
            return agent
    return {}


def forked_document(
    record: RunRecord, start: int, description: str, model: str
) -> CrewDocument:
    """The run's crew with task `start`'s description and its agent's model changed.

    Raises:
        ValueError: The snapshot is not a crew this CrewDesk can read, or the change makes
            it invalid; the message says why.
    """
    from desktop_app.documents.model import CrewDocument

    data = json.loads(json.dumps(record.crew_snapshot))  # a deep copy to change
    task = data["tasks"][start]
    task["description"] = description
    for agent in data.get("agents", []):
        if agent.get("key") == task.get("agent"):
            agent["llm"] = model.strip() or None
    return CrewDocument.model_validate(data)


class ForkDialog(QDialog):
    """Picks task N of a run and what changes; open it with `open()` (never `exec()`).

    Signals:
        chosen(object): The user pressed "Run fork" with valid values (a `ForkChoice`).
    """

    chosen = Signal(object)

    def __init__(self, record: RunRecord, start: int = 0, parent: QWidget | None = None) -> None:
        """Builds the dialog on `record`, with task `start` picked."""
        super().__init__(parent)
        self.setObjectName("forkDialog")
        self.setWindowTitle(f"Fork a run of {record.crew_name}")
        self.record = record
        self.task_box = named(QComboBox(), "forkTask")
        for index, task in enumerate(_snapshot_tasks(record)):
            label = task.get("name") or task.get("key") or f"Task {index + 1}"
            self.task_box.addItem(f"{index + 1}. {label}", index)
        self.description = named(QPlainTextEdit(), "forkDescription")
        self.model_edit = named(QLineEdit(), "forkModel")
        self.model_edit.setPlaceholderText("the default model")
        self.inputs_edit = named(QPlainTextEdit(), "forkInputs")
        self.inputs_edit.setPlainText(json.dumps(record.inputs, indent=2, ensure_ascii=False))
        self.summary = named(QLabel(), "forkSummary")
        self.summary.setWordWrap(True)
        self.error_label = named(QLabel(), "forkError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        self._layout()
        self.task_box.currentIndexChanged.connect(self._on_task_box_currentIndexChanged)
        self.task_box.setCurrentIndex(max(0, min(start, self.task_box.count() - 1)))
        self._on_task_box_currentIndexChanged()

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Start from", self.task_box)
        form.addRow("Task description", self.description)
        form.addRow("Agent's model", self.model_edit)
        form.addRow("Inputs (JSON)", self.inputs_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.run_button = named(QPushButton("Run fork"), "forkRun")
        buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.summary)
        column.addWidget(self.error_label)
        column.addWidget(buttons)
        self.resize(640, 520)

    @property
    def start(self) -> int:
        """The task the fork runs from (0-based)."""
        return int(self.task_box.currentData() or 0)

    def _on_task_box_currentIndexChanged(self, *_args: object) -> None:
        tasks = _snapshot_tasks(self.record)
        if not tasks:
            self._fail("This run's crew is not kept in the history: it cannot be forked.")
            return
        task = tasks[self.start]
        self.description.setPlainText(str(task.get("description") or ""))
        self.model_edit.setText(str(_agent_of(self.record, task).get("llm") or ""))
        try:
            reused_outputs(self.record, self.start)
        except ForkError as exc:
            self._fail(str(exc))
            return
        self._fail("")
        before = (f"Tasks 1–{self.start} reuse their stored outputs (no model call); "
                  if self.start > 1 else "Task 1 reuses its stored output (no model call); "
                  if self.start == 1 else "")
        after = (f"task {len(tasks)} runs." if self.start + 1 == len(tasks)
                 else f"tasks {self.start + 1}–{len(tasks)} run.")
        self.summary.setText(before + after)

    def _fail(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        self.run_button.setEnabled(not message)

    def choice(self) -> ForkChoice:
        """The fork the dialog describes now.

        Raises:
            ValueError: The inputs are not a JSON object, the crew cannot be changed so, or
                a task before the start has no stored output; the message says which.
        """
        try:
            inputs = json.loads(self.inputs_edit.toPlainText() or "{}")
        except ValueError as exc:
            raise ValueError(f"The inputs are not valid JSON: {exc}") from exc
        if not isinstance(inputs, dict):
            raise ValueError('The inputs must be a JSON object, such as {"topic": "tides"}.')
        document = forked_document(
            self.record, self.start, self.description.toPlainText(), self.model_edit.text()
        )
        mode = "kickoff_async" if self.record.mode.endswith("kickoff_async") else "akickoff"
        return ForkChoice(self.record.run_id, self.start, document, inputs,
                          reused_outputs(self.record, self.start), mode)

    def submit(self) -> ForkChoice | None:
        """Emits `chosen` and closes, or shows what is wrong and stays open."""
        try:
            choice = self.choice()
        except ValueError as exc:
            self._fail(str(exc))
            self.run_button.setEnabled(True)  # fixed inputs may be submitted again
            return None
        self.chosen.emit(choice)
        self.accept()
        return choice


class ForkHost(Protocol):
    """What `attach_forks` needs of the main window."""

    @property
    def services(self) -> Any: ...

    @property
    def controller(self) -> RunController: ...

    @property
    def history(self) -> Any: ...

    @property
    def dashboard(self) -> Any: ...

    @property
    def tabs(self) -> Any: ...


def with_project(
    projects: Any, document: CrewDocument
) -> tuple[str | None, ProjectRun | None, CrewDocument]:
    """For a run of a CrewAI project's crew (its snapshot names the project): the project's
    crew id, what a run of its code needs (with the document's changed values) and the
    document without the note; (None, None, document) for a crew file's run.

    Raises:
        ValueError: The project is not open in the app; says to open it.
    """
    from desktop_app.ui.controllers.run_controller import PROJECT_ID_PREFIX, PROJECT_SNAPSHOT_KEY

    extra = dict(document.settings.extra)
    project_id = extra.pop(PROJECT_SNAPSHOT_KEY, None)
    if not isinstance(project_id, str):
        return None, None, document
    opened = projects.get(project_id)
    if opened is None:
        folder = project_id.removeprefix(PROJECT_ID_PREFIX)
        raise ValueError(f"Open the CrewAI project {folder} first (File › Open CrewAI "
                         "project…) to run it again from a task with its code.")
    settings = document.settings.model_copy(update={"extra": extra})
    document = document.model_copy(update={"settings": settings})
    return project_id, opened.run_for(document), document


def launch_fork(host: ForkHost, choice: ForkChoice) -> Any:
    """Starts the fork through the run controller and shows the dashboard; returns the run's
    `RunState`. A dry run (the dashboard's checkbox) runs it on the simulator.

    Raises:
        ValueError: The run is a CrewAI project's and the project is not open.
    """
    from desktop_app.ui.controllers.run_controller import RunRequest

    crew_id, project, document = with_project(host.services.projects, choice.document)
    request = RunRequest(
        document, choice.inputs, mode="kickoff_async" if choice.mode == "kickoff_async"
        else "akickoff", crew_id=crew_id, dry_run=host.dashboard.dry_run.isChecked(),
        project=project, reuse=choice.reuse, fork_of=(choice.parent_run_id, choice.start),
    )
    host.tabs.setCurrentWidget(host.dashboard)
    return host.controller.start(request)


def attach_forks(host: ForkHost) -> None:
    """Runs each fork History asks for (its `forkRequested`) through `launch_fork`; a fork
    that cannot start says why under the dashboard's Run button."""

    def start(choice: ForkChoice) -> None:
        try:
            launch_fork(host, choice)
        except ValueError as exc:
            host.tabs.setCurrentWidget(host.dashboard)
            host.dashboard.show_message(str(exc))

    host.history.forkRequested.connect(start)
