"""The dashboard's input widgets: the crew picker, the inputs form and the for-each table.

Input values are typed as text. A value that reads as a JSON list or object (`[1, 2, 3]`)
is passed to the crew as that list or object, anything else as the text itself, so that the
values saved in a crew's input sets round-trip through the form unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.documents.model import CrewDocument
from desktop_app.storage.crew_library import CrewEntry

__all__ = ["BatchTable", "CrewPicker", "InputsForm", "InputsPanel", "decode_value",
           "encode_value", "parse_jsonl"]

_ID_ROLE = Qt.ItemDataRole.UserRole


def encode_value(value: Any) -> str:
    """The text a form shows for an input value."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def decode_value(text: str) -> Any:
    """The input value for a form's text: JSON lists and objects are parsed, else text."""
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text


def parse_jsonl(text: str) -> list[dict[str, Any]]:
    """The input rows of a JSONL text: one JSON object per non-empty line.

    Raises:
        ValueError: A line is not a JSON object; the message names the line.
    """
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"line {number} is not JSON: {exc}") from None
        if not isinstance(row, dict):
            raise ValueError(f"line {number} is not a JSON object")
        rows.append(row)
    return rows


class CrewPicker(QListWidget):
    """The crews one can run, each with a check box (check several to run them together).

    Signals:
        crewSelected(str): The crew with this id became the current one.
        checksChanged(): The user checked or unchecked a crew (or `set_checked` did).
    """

    crewSelected = Signal(str)
    checksChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds an empty list.

        Args:
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.currentItemChanged.connect(self._on_self_currentItemChanged)
        self.itemChanged.connect(self._on_self_itemChanged)

    def set_entries(self, entries: Sequence[CrewEntry]) -> None:
        """Shows these crews, keeping the checks and the current crew where they remain.

        Emits nothing: the caller decides what to do with the current crew.
        """
        checked = set(self.checked_ids())
        current = self.current_id()
        self.blockSignals(True)
        self.clear()
        for entry in entries:
            label = f"{entry.name}  (example)" if entry.is_example else entry.name
            item = QListWidgetItem(label)
            item.setData(_ID_ROLE, entry.id)
            item.setToolTip(str(entry.path))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if entry.id in checked else Qt.CheckState.Unchecked
            )
            self.addItem(item)
        ids = self.ids()
        if current in ids:
            self.setCurrentRow(ids.index(current))
        elif ids:
            self.setCurrentRow(0)
        self.blockSignals(False)

    def ids(self) -> list[str]:
        """Ids of every crew shown, in order."""
        return [str(self.item(row).data(_ID_ROLE)) for row in range(self.count())]

    def current_id(self) -> str | None:
        """The id of the current crew, if any."""
        item = self.currentItem()
        return None if item is None else str(item.data(_ID_ROLE))

    def checked_ids(self) -> list[str]:
        """Ids of the checked crews, in list order."""
        return [
            str(self.item(row).data(_ID_ROLE))
            for row in range(self.count())
            if self.item(row).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, crew_id: str, checked: bool = True) -> None:
        """Checks or unchecks a crew."""
        for row in range(self.count()):
            item = self.item(row)
            if item.data(_ID_ROLE) == crew_id:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def select(self, crew_id: str) -> None:
        """Makes a crew the current one (without emitting `crewSelected`)."""
        ids = self.ids()
        if crew_id in ids:
            self.blockSignals(True)
            self.setCurrentRow(ids.index(crew_id))
            self.blockSignals(False)

    def _on_self_currentItemChanged(self, current: QListWidgetItem | None, _old: object) -> None:
        if current is not None:
            self.crewSelected.emit(str(current.data(_ID_ROLE)))

    def _on_self_itemChanged(self, _item: QListWidgetItem) -> None:
        self.checksChanged.emit()


class InputsForm(QWidget):
    """A field per `{placeholder}` of a crew, and a choice of its saved input sets.

    Signals:
        edited(): The user changed a value or picked an input set.
    """

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds an empty form.

        Args:
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._document: CrewDocument | None = None
        self._fields: dict[str, QLineEdit] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.input_sets = QComboBox()
        self.input_sets.activated.connect(self._on_input_sets_activated)
        layout.addWidget(self.input_sets)
        self._form = QFormLayout()
        layout.addLayout(self._form)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #6b7280;")
        layout.addWidget(self.hint)

    @property
    def placeholders(self) -> list[str]:
        """The placeholders of the crew shown."""
        return list(self._fields)

    def field(self, name: str) -> QLineEdit:
        """The line edit of a placeholder."""
        return self._fields[name]

    def set_document(self, document: CrewDocument, values: Mapping[str, Any]) -> None:
        """Shows the placeholders of `document`, filled with `values`."""
        self._document = document
        while self._form.rowCount():
            self._form.removeRow(0)
        self._fields = {}
        for name in document.placeholders():
            edit = QLineEdit(encode_value(values[name]) if name in values else "")
            edit.setPlaceholderText(f"value for {{{name}}}")
            edit.textEdited.connect(self._on_field_textEdited)
            self._form.addRow(name, edit)
            self._fields[name] = edit
        self.input_sets.clear()
        self.input_sets.addItem("(typed values)")
        for input_set in document.input_sets:
            self.input_sets.addItem(input_set.name)
        self.input_sets.setVisible(bool(document.input_sets))
        self._show_matching_set(values)
        self.hint.setText("" if self._fields else "This crew needs no inputs.")

    def focus_widgets(self) -> list[QWidget]:
        """The widgets a Tab key visits, in order: the input-set choice (when shown) and
        the fields."""
        first: list[QWidget] = [self.input_sets] if self.input_sets.isVisibleTo(self) else []
        return [*first, *self._fields.values()]

    def values(self) -> dict[str, Any]:
        """The values typed, by placeholder (empty fields left out)."""
        return {name: decode_value(edit.text()) for name, edit in self._fields.items()
                if edit.text().strip()}

    def missing(self) -> list[str]:
        """Placeholders left empty."""
        return [name for name, edit in self._fields.items() if not edit.text().strip()]

    def apply_input_set(self, index: int) -> None:
        """Fills the fields from the document's input set at `index`."""
        if self._document is None or not 0 <= index < len(self._document.input_sets):
            return
        values = self._document.input_sets[index].values
        for name, edit in self._fields.items():
            edit.setText(encode_value(values[name]) if name in values else "")
        self.input_sets.setCurrentIndex(index + 1)

    def _show_matching_set(self, values: Mapping[str, Any]) -> None:
        """Selects the input set whose values are those shown, else "(typed values)"."""
        assert self._document is not None
        shown = {name: values[name] for name in self._fields if name in values}
        for index, input_set in enumerate(self._document.input_sets):
            if {k: v for k, v in input_set.values.items() if k in self._fields} == shown:
                self.input_sets.setCurrentIndex(index + 1)
                return
        self.input_sets.setCurrentIndex(0)

    def _on_input_sets_activated(self, index: int) -> None:
        if index > 0:
            self.apply_input_set(index - 1)
            self.edited.emit()

    def _on_field_textEdited(self, _text: str) -> None:
        self.input_sets.setCurrentIndex(0)
        self.edited.emit()


class InputsPanel(QWidget):
    """The inputs of the crews a Run will run: an `InputsForm` per crew, each under the
    crew's name when there are several.

    Signals:
        edited(): The user changed a value or picked an input set in any form.
    """

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds an empty panel.

        Args:
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._forms: dict[str, InputsForm] = {}
        self._shown: list[tuple[str, CrewDocument]] = []
        self._widgets: list[QWidget] = []
        self.hint = QLabel("Pick a crew to see its inputs.")
        self.hint.setStyleSheet("color: #6b7280;")
        self._layout.addWidget(self.hint)

    def show_crews(self, crews: Sequence[tuple[str, CrewDocument, Mapping[str, Any]]]) -> bool:
        """Shows a form per crew (id, document, values), unless these crews are shown already
        with equal documents (typed values stay then; a re-read crew does not flicker).

        Returns:
            True when the forms were rebuilt.
        """
        wanted = [(crew_id, document) for crew_id, document, _values in crews]
        if len(wanted) == len(self._shown) and all(
            a == b and doc == shown for (a, doc), (b, shown) in zip(wanted, self._shown, strict=True)
        ):
            return False
        for widget in self._widgets:
            self._layout.removeWidget(widget)
            widget.deleteLater()
        self._widgets, self._forms, self._shown = [], {}, wanted
        for crew_id, document, values in crews:
            if len(crews) > 1:
                title = QLabel(f"<b>{document.name}</b>")
                title.setTextFormat(Qt.TextFormat.RichText)
                self._add(title)
            form = InputsForm()
            form.set_document(document, values)
            form.edited.connect(self.edited)
            self._forms[crew_id] = form
            self._add(form)
        self.hint.setVisible(not crews)
        return True

    def _add(self, widget: QWidget) -> None:
        self._layout.addWidget(widget)
        self._widgets.append(widget)

    def form(self, crew_id: str | None) -> InputsForm | None:
        """The form of a crew, if it is shown."""
        return None if crew_id is None else self._forms.get(crew_id)

    def forms(self) -> dict[str, InputsForm]:
        """The forms shown, by crew id, in order."""
        return dict(self._forms)

    def focus_widgets(self) -> list[QWidget]:
        """Every form's widgets a Tab key visits, in order."""
        return [widget for form in self._forms.values() for widget in form.focus_widgets()]


class BatchTable(QTableWidget):
    """A table of inputs for a for-each batch: one column per placeholder, one row per run."""

    def set_placeholders(self, names: Sequence[str]) -> None:
        """Makes one column per placeholder (rows are kept where names match)."""
        rows = self.rows()
        self.setColumnCount(len(names))
        self.setHorizontalHeaderLabels(list(names))
        self.set_rows(rows)

    def placeholders(self) -> list[str]:
        """The column names."""
        items = (self.horizontalHeaderItem(c) for c in range(self.columnCount()))
        return [item.text() if item is not None else "" for item in items]

    def add_row(self, values: Mapping[str, Any] | None = None) -> None:
        """Appends a row, filled from `values` where it names a column."""
        row = self.rowCount()
        self.insertRow(row)
        for column, name in enumerate(self.placeholders()):
            value = (values or {}).get(name)
            self.setItem(row, column, QTableWidgetItem("" if value is None else encode_value(value)))

    def set_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Replaces every row."""
        self.setRowCount(0)
        for values in rows:
            self.add_row(values)

    def rows(self) -> list[dict[str, Any]]:
        """The inputs of every row that has any value."""
        names = self.placeholders()
        result = []
        for row in range(self.rowCount()):
            values = {}
            for column, name in enumerate(names):
                item = self.item(row, column)
                if item is not None and item.text().strip():
                    values[name] = decode_value(item.text())
            if values:
                result.append(values)
        return result
