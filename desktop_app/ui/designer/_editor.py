"""`CrewEditor`: the crew being designed, its undo history and its unsaved state.

The forms of the designer observe it (`documentChanged`) and send every edit through it, so
that each edit is one undoable command and every view shows the same document.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from desktop_app.documents.model import CrewDocument
from desktop_app.ui.designer import _edits
from desktop_app.ui.designer._edits import Loc

_MERGE_ID = 0x43524557  # "CREW": edits of one text field in a row merge into one step


class SnapshotCommand(QUndoCommand):
    """One edit, kept as the document before and after it.

    Consecutive edits of the same text field (typing) merge into one undo step.
    """

    def __init__(
        self,
        editor: CrewEditor,
        before: CrewDocument,
        after: CrewDocument,
        text: str,
        merge_key: Loc | None = None,
    ) -> None:
        """Makes the command; pushing it on the stack applies `after`."""
        super().__init__(text)
        self._editor = editor
        self.before = before
        self.after = after
        self.merge_key = merge_key

    def id(self) -> int:  # Qt override
        """Mergeable commands share an id; the others return -1 (never merge)."""
        return _MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # Qt override  # noqa: N802
        """Takes in the next keystrokes of the same field."""
        if not isinstance(other, SnapshotCommand) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:  # Qt override
        """Applies the document after the edit."""
        self._editor._apply(self.after)

    def undo(self) -> None:  # Qt override
        """Applies the document before the edit."""
        self._editor._apply(self.before)


class CrewEditor(QObject):
    """The crew being edited.

    Attributes:
        undo_stack: Every edit as an undoable command; clean means "as saved".
        crew_id: The library id of the crew; None for a crew never saved.
        draft_id: The id its recovery copy is kept under while `crew_id` is None.
        read_only: True for an example, which is saved as a copy.

    Signals:
        documentChanged(): The document changed (an edit, undo, redo, or another crew opened).
        dirtyChanged(bool): The document now differs (True) or not (False) from the saved one.
    """

    documentChanged = Signal()
    dirtyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        """Starts with an empty, unsaved crew."""
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.crew_id: str | None = None
        self.draft_id: str | None = None
        self.read_only = False
        self._document = _edits.new_document()
        self._dirty_override = False
        self.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)

    @property
    def document(self) -> CrewDocument:
        """The current document. Do not change it: send edits through this editor."""
        return self._document

    @property
    def dirty(self) -> bool:
        """Whether there are unsaved changes."""
        return self._dirty_override or not self.undo_stack.isClean()

    @property
    def recovery_id(self) -> str | None:
        """The id its recovery copy is kept under (crew id, else draft id)."""
        return self.crew_id or self.draft_id

    def open(
        self,
        doc: CrewDocument,
        *,
        crew_id: str | None,
        read_only: bool = False,
        draft_id: str | None = None,
        dirty: bool = False,
    ) -> None:
        """Shows another crew, forgetting the undo history.

        Args:
            doc: The crew.
            crew_id: Its library id; None when it was never saved.
            read_only: True for an example.
            draft_id: The id of the recovery copy of a crew never saved.
            dirty: Start as unsaved (a new, imported or recovered crew).
        """
        was_dirty = self.dirty
        self.crew_id, self.draft_id, self.read_only = crew_id, draft_id, read_only
        self._dirty_override = dirty
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._apply(doc)
        if self.dirty != was_dirty:
            self.dirtyChanged.emit(self.dirty)

    def set_field(self, loc: Loc, value: object, text: str | None = None) -> None:
        """Changes one field as one undoable step (typing in a field merges into one step).

        Raises:
            ValueError: The value does not fit the field.
        """
        after = _edits.set_value(self._document, loc, value)
        label = text or f"Edit {_edits.field_of(loc)[-1]}"
        self.push(label, after, merge_key=loc)

    def edit(self, text: str, change: Callable[[CrewDocument], CrewDocument]) -> None:
        """Applies a structural edit (add, remove, move ...) as one undoable step."""
        self.push(text, change(self._document))

    def push(self, text: str, after: CrewDocument, merge_key: Loc | None = None) -> None:
        """Pushes a step that replaces the document with `after` (nothing when it is equal)."""
        if after == self._document:
            return
        self.undo_stack.push(SnapshotCommand(self, self._document, after, text, merge_key))

    def mark_saved(self, crew_id: str) -> None:
        """Records that the current document is saved as `crew_id`."""
        was_dirty = self.dirty
        self.crew_id, self.draft_id, self.read_only = crew_id, None, False
        self._dirty_override = False
        self.undo_stack.setClean()
        if was_dirty:
            self.dirtyChanged.emit(False)

    def issues(self) -> list[tuple[Loc, str]]:
        """What is wrong with the document now (problems and empty texts)."""
        return _edits.all_issues(self._document)

    def _apply(self, doc: CrewDocument) -> None:
        self._document = doc
        self.documentChanged.emit()

    def _on_undo_stack_clean_changed(self, clean: bool) -> None:
        if not self._dirty_override:
            self.dirtyChanged.emit(not clean)
