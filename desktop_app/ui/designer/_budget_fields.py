"""`BudgetFields`: the crew page's budgets (per run, per batch) and its Rehearse action.

Budgets are `CrewSettings.budget` and `batch_budget` (`documents.model.BudgetSpec`): dollars,
tokens and minutes, each empty for "no cap". A value that is not a number above zero is not
written: the row says what is wrong under it, and the document keeps its last good value.
Each change is one undoable step of the `CrewEditor`.

Rehearse runs the crew once on the offline simulator with its real model names
(`documents.rehearsal.rehearse`, a task of the view's `TaskOwner`, never a nested loop) and
shows the estimate: "about 14 calls, 38k tokens, $0.21; this 200-row batch about $42", the
rows being the spin box's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desktop_app.documents.model import BudgetSpec, CrewDocument
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.widgets.fields import FieldRow, named
from desktop_app.ui.widgets.tasks import TaskOwner

__all__ = ["BudgetFields", "budget_of_texts"]

_MEASURES = (("dollars", "dollars", float), ("tokens", "tokens", int),
             ("minutes", "minutes", float))


def budget_of_texts(texts: dict[str, str]) -> BudgetSpec | None:
    """The budget the three fields spell (None when all are empty).

    Raises:
        ValueError: A field is not a number above zero; the message names it.
    """
    values: dict[str, float | int] = {}
    for name, _hint, kind in _MEASURES:
        text = texts.get(name, "").strip().removeprefix("$").replace(",", "")
        if not text:
            continue
        try:
            value = kind(text)
        except ValueError:
            whole = " whole" if kind is int else ""
            raise ValueError(f"{name}: “{text}” is not a{whole} number") from None
        if not value > 0:
            raise ValueError(f"{name}: must be above 0")
        values[name] = value
    return BudgetSpec(**values) if values else None  # type: ignore[arg-type]


def _text_of(value: float | int | None) -> str:
    return "" if value is None else f"{value:g}"


class _BudgetRow(FieldRow):
    """Three fields (dollars, tokens, minutes) and the message under them."""

    def __init__(self, prefix: str, on_edited: Callable[[], None]) -> None:
        box = QWidget()
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edits: dict[str, QLineEdit] = {}
        for name, hint, _kind in _MEASURES:
            edit = named(QLineEdit(), f"{prefix}_{name}")
            edit.setPlaceholderText(hint)
            edit.editingFinished.connect(on_edited)
            layout.addWidget(edit)
            self.edits[name] = edit
        super().__init__(box)

    def texts(self) -> dict[str, str]:
        return {name: edit.text() for name, edit in self.edits.items()}

    def show_budget(self, spec: BudgetSpec | None) -> None:
        for name, edit in self.edits.items():
            text = _text_of(getattr(spec, name) if spec is not None else None)
            if not edit.hasFocus() and edit.text() != text:
                edit.setText(text)


class BudgetFields(QObject):
    """The budget rows and the Rehearse row of the crew page.

    Signals:
        rehearsed(str): A rehearsal ended; its summary (or why it could not run).

    Attributes:
        run_row: Dollars, tokens, minutes per run.
        batch_row: The same for a batch's runs together.
        rehearse_row: The Rehearse button, the rows spin box and the estimate.
    """

    rehearsed = Signal(str)

    def __init__(self, editor: CrewEditor, tasks: TaskOwner, page: QWidget,
                 base_dir: Callable[[], Path | None] = lambda: None) -> None:
        """Builds the rows; `base_dir` gives the crew's folder (its knowledge paths)."""
        super().__init__(page)
        self._editor = editor
        self._tasks = tasks
        self._base_dir = base_dir
        self.run_row = _BudgetRow("crew_budget", lambda: self._edited("budget", self.run_row))
        self.batch_row = _BudgetRow(
            "crew_batch_budget", lambda: self._edited("batch_budget", self.batch_row))
        self.run_row.setToolTip("A warning at 80%, a clean stop at 100% that keeps the output")
        self.rehearse_button = named(QPushButton("Rehearse"), "crew_rehearse")
        self.rehearse_button.setToolTip(
            "Run the crew once on the offline simulator and price its calls at its models")
        self.rehearse_button.clicked.connect(self._on_rehearse_button_clicked)
        self.rows_box = named(QSpinBox(), "crew_rehearse_rows")
        self.rows_box.setRange(1, 1_000_000)
        self.rows_box.setSuffix(" rows")
        self.estimate_label = named(QLabel(), "crew_rehearsal")
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rehearse_row = QWidget()
        line = QHBoxLayout(self.rehearse_row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.rehearse_button)
        line.addWidget(self.rows_box)
        line.addWidget(self.estimate_label, 1)

    def show_settings(self, doc: CrewDocument) -> None:
        """Shows the document's budgets (a field being typed in keeps its text)."""
        self.run_row.show_budget(doc.settings.budget)
        self.batch_row.show_budget(doc.settings.batch_budget)

    def _edited(self, field: str, row: _BudgetRow) -> None:
        try:
            spec = budget_of_texts(row.texts())
        except ValueError as exc:
            row.set_messages([str(exc)])
            return
        row.set_messages([])
        if spec != getattr(self._editor.document.settings, field):
            label = "Change budget" if field == "budget" else "Change batch budget"
            self._editor.set_field(("settings", field), spec, label)

    def _on_rehearse_button_clicked(self) -> None:
        self._tasks.spawn(self.rehearse())

    async def rehearse(self) -> str:
        """Rehearses the crew as it is now and shows the estimate; returns its text."""
        from desktop_app.documents.errors import CrewFileError
        from desktop_app.documents.rehearsal import rehearse

        self.rehearse_button.setEnabled(False)
        self.estimate_label.setText("Rehearsing on the simulator…")
        try:
            rehearsal = await rehearse(self._editor.document, base_dir=self._base_dir())
            text = rehearsal.summary(self.rows_box.value())
            if rehearsal.error is not None:
                text = f"the rehearsal stopped: {rehearsal.error} ({text})"
        except CrewFileError as exc:
            text = "cannot rehearse: " + "; ".join(str(p) for p in exc.problems)
        finally:
            self.rehearse_button.setEnabled(True)
        self.estimate_label.setText(text)
        self.rehearsed.emit(text)
        return text
