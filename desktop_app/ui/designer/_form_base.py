"""`SpecForm`: the shared machinery of the agent and task forms.

A form shows one agent or task of the `CrewEditor`'s document. Each editor it makes is bound to
a field: what the user types goes to `CrewEditor.set_field` (one undo step per field burst),
and `show()` puts the document's values back without disturbing the field being typed in.
Under each editor a line says what is wrong with the field, if anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.designer._edits import Loc
from desktop_app.ui.widgets.fields import FieldRow


class _LeaveUndoToTheStack(QObject):
    """Lets Ctrl+Z / Ctrl+Shift+Z reach the designer's undo stack from inside an editor.

    Line and text edits claim those keys for their own undo; the designer wants one history.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override  # noqa: N802
        """Declines the shortcut override for undo and redo keys."""
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and (
                event.matches(QKeySequence.StandardKey.Undo)
                or event.matches(QKeySequence.StandardKey.Redo)
            )
        ):
            event.ignore()
            return True
        return False


class SpecForm(QWidget):
    """A form of one agent or task, bound to fields of the editor's document.

    Signals:
        edited(): The user changed a field (after the edit reached the editor).
    """

    edited = Signal()

    def __init__(self, editor: CrewEditor, section: str, parent: QWidget | None = None) -> None:
        """Builds an empty form.

        Args:
            editor: The crew being designed.
            section: "agents" or "tasks".
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._editor = editor
        self._section = section
        self.index = -1
        self.rows: dict[str, FieldRow] = {}
        self._setters: dict[str, Callable[[Any], None]] = {}
        self._undo_filter = _LeaveUndoToTheStack(self)
        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

    # -- building ----------------------------------------------------------------------

    def add_row(self, name: str, label: str, widget: QWidget, setter: Callable[[Any], None]) -> None:
        """Adds an editor with its message line; `setter` shows a value without echo."""
        widget.setObjectName(f"{self._section}_{name}")
        widget.installEventFilter(self._undo_filter)
        row = FieldRow(widget, self)
        self.rows[name] = row
        self._setters[name] = setter
        self.form.addRow(label, row)

    def line(
        self, name: str, label: str, placeholder: str = "", *, empty_is_none: bool = False
    ) -> QLineEdit:
        """A one-line text field; with `empty_is_none`, an empty text means None."""
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        if empty_is_none:
            edit.textEdited.connect(lambda text: self.commit(name, text or None))
        else:
            edit.textEdited.connect(lambda text: self.commit(name, text))
        self.add_row(name, label, edit, lambda value: _set_line(edit, value))
        return edit

    def text(self, name: str, label: str, height: int = 72) -> QPlainTextEdit:
        """A multi-line text field."""
        edit = QPlainTextEdit()
        edit.setUndoRedoEnabled(False)
        edit.setTabChangesFocus(True)
        edit.setFixedHeight(height)
        edit.textChanged.connect(lambda: self.commit(name, edit.toPlainText()))
        self.add_row(name, label, edit, lambda value: _set_plain(edit, value))
        return edit

    def combo(self, name: str, label: str, *, editable: bool, none_text: str = "") -> QComboBox:
        """A choice; an editable one takes any text (empty text means None)."""
        box = QComboBox()
        box.setEditable(editable)
        box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        if editable:
            box.currentTextChanged.connect(lambda text: self.commit(name, text.strip() or None))
        else:
            box.activated.connect(lambda _index: self.commit(name, box.currentData()))
        self.add_row(name, label, box, lambda value: _set_combo(box, value, none_text))
        return box

    def check(self, name: str, label: str, text: str) -> QCheckBox:
        """A yes/no field."""
        box = QCheckBox(text)
        box.toggled.connect(lambda on: self.commit(name, on))
        self.add_row(name, label, box, lambda value: _set_check(box, bool(value)))
        return box

    def spin(self, name: str, label: str, default_text: str) -> QSpinBox:
        """A whole number from 1; 0 shows `default_text` and means None."""
        box = QSpinBox()
        box.setRange(0, 1000)
        box.setSpecialValueText(default_text)
        box.valueChanged.connect(lambda number: self.commit(name, number or None))
        self.add_row(name, label, box, lambda value: _set_spin(box, value or 0))
        return box

    def checklist(self, name: str, label: str) -> QListWidget:
        """A list of names to tick; the ticked names are the value."""
        widget = QListWidget()
        widget.setMaximumHeight(110)
        widget.itemChanged.connect(lambda _item: self.commit(name, checked_names(widget)))
        self.add_row(name, label, widget, lambda _value: None)
        return widget

    # -- showing and committing --------------------------------------------------------

    def show_values(self, values: Mapping[str, Any], issues: Mapping[Loc, Sequence[str]]) -> None:
        """Puts the values in the editors (unchanged ones are left alone) and the messages."""
        for name, setter in self._setters.items():
            if name in values:
                setter(values[name])
        for name, row in self.rows.items():
            row.set_messages(issues.get((self._section, self.index, name), ()))

    def commit(self, name: str, value: Any) -> None:
        """Sends a user's edit of a field to the editor."""
        if self.index < 0 or self.signalsBlocked():
            return
        spec = getattr(self._editor.document, self._section)[self.index]
        if getattr(spec, name) == value:
            return
        try:
            self._editor.set_field((self._section, self.index, name), value)
        except ValueError as exc:
            self.rows[name].set_messages([str(exc).splitlines()[-1]])
            return
        self.edited.emit()


def checked_names(widget: QListWidget) -> list[str]:
    """The texts of the ticked items, in list order."""
    items = (widget.item(row) for row in range(widget.count()))
    return [item.text() for item in items if item.checkState() == Qt.CheckState.Checked]


def fill_checklist(widget: QListWidget, names: Sequence[str], ticked: Sequence[str]) -> None:
    """Shows `names` with `ticked` ticked, without reporting it as an edit."""
    current = [widget.item(row).text() for row in range(widget.count())]
    state = [widget.item(row).checkState() for row in range(widget.count())]
    wanted = [Qt.CheckState.Checked if name in ticked else Qt.CheckState.Unchecked for name in names]
    if current == list(names) and state == wanted:
        return
    blocked = widget.blockSignals(True)
    try:
        widget.clear()
        for name, check in zip(names, wanted, strict=True):
            item = QListWidgetItem(name, widget)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(check)
    finally:
        widget.blockSignals(blocked)


def _set_line(edit: QLineEdit, value: Any) -> None:
    text = "" if value is None else str(value)
    if edit.text() != text:
        edit.setText(text)


def _set_plain(edit: QPlainTextEdit, value: Any) -> None:
    text = "" if value is None else str(value)
    if edit.toPlainText() != text:
        blocked = edit.blockSignals(True)
        try:
            edit.setPlainText(text)
        finally:
            edit.blockSignals(blocked)


def _set_combo(box: QComboBox, value: Any, none_text: str) -> None:
    blocked = box.blockSignals(True)
    try:
        if box.isEditable():
            text = "" if value is None else str(value)
            if box.currentText() != text:
                box.setEditText(text)
            return
        index = box.findData(value)
        if index < 0:
            box.addItem(none_text if value is None else f"{value} (unknown)", value)
            index = box.count() - 1
        box.setCurrentIndex(index)
    finally:
        box.blockSignals(blocked)


def _set_check(box: QCheckBox, value: bool) -> None:
    if box.isChecked() != value:
        blocked = box.blockSignals(True)
        box.setChecked(value)
        box.blockSignals(blocked)


def _set_spin(box: QSpinBox, value: int) -> None:
    if box.value() != value:
        blocked = box.blockSignals(True)
        box.setValue(value)
        box.blockSignals(blocked)
