"""Read-only forms that stay readable: text in its normal colours, selectable and copyable.

A disabled widget is drawn grey on grey (issue 14: the bundled examples were hard to read),
and a disabled page cannot even be scrolled or have its list browsed. `set_read_only` instead
makes text fields read-only, makes combo boxes, check boxes and check lists ignore the
user's clicks and keys (they still show their values, and Tab still moves on), and disables
only the buttons that would change something. It undoes exactly what it did, so a form can be
made read-only and editable again as crews open and close; what other code set (a locked
project row) is left as it was.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QRadioButton,
    QTextEdit,
    QWidget,
)

__all__ = ["is_read_only", "set_read_only"]

_MARK = "crewdeskReadOnly"
"""The dynamic property on each widget this module changed (to undo only that)."""

_SWALLOWED = frozenset({QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
                        QEvent.Type.MouseButtonDblClick, QEvent.Type.Wheel})
_PASSING_KEYS = frozenset({Qt.Key.Key_Tab, Qt.Key.Key_Backtab})


class _IgnoreInput(QObject):
    """Swallows the clicks, wheel turns and keys (but Tab) that would change a value."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override  # noqa: N802
        """Eats the event when it would edit ``watched``."""
        if event.type() in _SWALLOWED:
            return True
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            return Qt.Key(event.key()) not in _PASSING_KEYS
        return False


def set_read_only(root: QWidget, on: bool, keep: Sequence[QWidget] = ()) -> None:
    """Makes every editor under ``root`` read-only (``on``) or editable again.

    Args:
        root: The form or page.
        on: True: read-only; False: undo what an earlier call did.
        keep: Buttons that stay usable (ones that only show something, like Memory…).
    """
    guard = root.findChild(_IgnoreInput, "readOnlyGuard")
    if guard is None:
        guard = _IgnoreInput(root)
        guard.setObjectName("readOnlyGuard")
    for widget in root.findChildren(QWidget):
        if widget in keep or bool(widget.property(_MARK)) == on:
            continue
        if _change(widget, on, guard):
            widget.setProperty(_MARK, on)


def is_read_only(widget: QWidget) -> bool:
    """Whether `set_read_only` made ``widget`` read-only."""
    return bool(widget.property(_MARK))


def _change(widget: QWidget, on: bool, guard: _IgnoreInput) -> bool:
    """Makes one widget read-only or editable; False when it is not an editor (or not
    this module's to change)."""
    if isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)):
        if isinstance(widget.parentWidget(), (QComboBox, QAbstractSpinBox)):
            return False  # the combo box or spin box is guarded as a whole
        if on and widget.isReadOnly():
            return False  # read-only for another reason: leave it so
        widget.setReadOnly(on)
        return True
    if isinstance(widget, (QComboBox, QCheckBox, QRadioButton)) or _is_checklist(widget):
        target = widget.viewport() if isinstance(widget, QListWidget) else widget
        if on:
            target.installEventFilter(guard)
        else:
            target.removeEventFilter(guard)
        return True
    if isinstance(widget, QAbstractButton):
        if on and not widget.isEnabled():
            return False
        widget.setEnabled(not on)
        return True
    return False


def _is_checklist(widget: QWidget) -> bool:
    """A list whose items are ticked (an agent's tools, a task's context)."""
    if not isinstance(widget, QListWidget):
        return False
    return any(widget.item(row).flags() & Qt.ItemFlag.ItemIsUserCheckable
               for row in range(widget.count()))
