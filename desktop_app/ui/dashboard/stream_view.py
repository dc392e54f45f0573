"""`StreamView`: the read-only text of a run, built for thousands of inserts a second.

What keeps it cheap (measured on this machine, offscreen, see benchmarks/ui_streaming.py):

* Text comes already coalesced per frame and goes in with one `QTextCursor.insertText` at
  the end of the document (FIELD-NOTES: one insert per chunk manages ~300 chunks/s).
* Qt lays out a whole paragraph again on every insert into it, so a model streaming without
  newlines would make each insert slower (0.3 ms per insert at 60 words, 4 ms at 1,800 words).
  A paragraph longer than `SOFT_BREAK_CHARS` continues in a new block at a word boundary.
  The break is visual only: `shown_text()` leaves it out.
* A view scrolled out of sight (or on a hidden tab) keeps what arrives in a backlog and
  inserts it when it is seen again (`catch_up`): runs nobody can see cost no layout.
* Large pieces (a 1 MB answer, a long backlog) go in slices of `INSERT_SLICE_CHARS`, one per
  turn of the event loop, so no single turn lays out more than a few milliseconds of text.
* The vertical scroll bar is drawn flat (`_SCROLLBAR_STYLE`): it repaints on every insert
  while the view follows the end, and the default (Fusion) scroll bar took 0.6 ms a paint,
  about 40% of all painting with 20 panels streaming; the flat one takes 0.04 ms.
* The document keeps at most `MAX_DOCUMENT_CHARS`; Copy and Save use the run's own text.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QFont, QShowEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from desktop_app.ui.controllers.run_state import SegmentKind

__all__ = ["MAX_DOCUMENT_CHARS", "SOFT_BREAK_CHARS", "StreamView", "TextKind"]

MAX_DOCUMENT_CHARS = 200_000
"""Characters a view keeps; older text is dropped from the top."""

SOFT_BREAK_CHARS = 1000
"""Longest paragraph (in characters) before it visually continues in a new block."""

INSERT_SLICE_CHARS = 4000
"""Most characters inserted in one turn of the event loop. Laying out wrapped text costs
about 1 ms per 1,000 characters here, so a 1 MB answer inserted at once froze the window
for 0.7 s; larger pieces go in slices, one per turn, and what the document would drop
anyway (past `MAX_DOCUMENT_CHARS`) is never inserted."""

TextKind = SegmentKind
"""How a piece of text is shown: model text, a tool call, its result, a failure, a heading."""

_SOFT_BREAK = 1
"""`QTextBlock.userState()` of a block that continues the previous paragraph."""

_SCROLLBAR_STYLE = """
QScrollBar:vertical { width: 10px; background: #f3f4f6; margin: 0; border: none; }
QScrollBar::handle:vertical { background: #9ca3af; min-height: 24px; border-radius: 4px; }
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical { height: 0; border: none; }
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical { background: none; }
"""

_COLORS: dict[TextKind, tuple[str | None, bool]] = {
    "text": (None, False),
    "tool": ("#0f766e", True),
    "result": ("#6b7280", False),
    "error": ("#b91c1c", False),
    "heading": ("#7c3aed", True),
    "human": ("#b45309", True),
    "warning": ("#a16207", False),
}


def _formats() -> dict[TextKind, QTextCharFormat]:
    formats = {}
    for kind, (color, bold) in _COLORS.items():
        fmt = QTextCharFormat()
        if color is not None:
            fmt.setForeground(QColor(color))
        if bold:
            fmt.setFontWeight(QFont.Weight.Bold)
        formats[kind] = fmt
    return formats


class StreamView(QPlainTextEdit):
    """Shows a run's streamed output; follows the end unless the user scrolled up."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds an empty, read-only view.

        Args:
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.verticalScrollBar().setStyleSheet(_SCROLLBAR_STYLE)
        self._formats = _formats()
        self._cursor = QTextCursor(self.document())
        self._backlog: list[tuple[str, TextKind]] = []
        self._backlog_chars = 0
        self._catching_up = False

    def append_text(self, text: str, kind: TextKind = "text") -> None:
        """Adds text at the end: now if the view is seen and the text is short, else in
        slices over the next turns of the event loop (or when the view is next seen)."""
        if not text:
            return
        if self._backlog or not self.on_screen() or len(text) > INSERT_SLICE_CHARS:
            self._add_backlog(text, kind)
            if self.on_screen():
                self.catch_up()
            return
        self._insert(text, kind)

    @property
    def has_backlog(self) -> bool:
        """Whether text waits to be inserted (the view is out of sight, or catching up)."""
        return bool(self._backlog)

    def on_screen(self) -> bool:
        """Whether any part of the view can be seen now."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def catch_up(self) -> None:
        """Inserts a slice of the backlog now, and the rest a slice per event-loop turn
        (while the view stays in sight)."""
        self._insert_slice()
        if self._backlog and not self._catching_up:
            self._catching_up = True
            QTimer.singleShot(0, self, self._on_catch_up_timer_timeout)

    def shown_text(self) -> str:
        """All text of the view (backlog included), without the visual paragraph breaks."""
        while self._backlog:
            self._insert_slice()
        parts: list[str] = []
        block = self.document().firstBlock()
        while block.isValid():
            if parts and block.userState() != _SOFT_BREAK:
                parts.append("\n")
            parts.append(block.text())
            block = block.next()
        return "".join(parts)

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        """Catches up once the view is laid out on screen."""
        super().showEvent(event)
        if self._backlog and not self._catching_up:
            self._catching_up = True
            QTimer.singleShot(0, self, self._on_catch_up_timer_timeout)

    def _on_catch_up_timer_timeout(self) -> None:
        self._catching_up = False
        if self._backlog and self.on_screen():
            self.catch_up()

    def _add_backlog(self, text: str, kind: TextKind) -> None:
        """Queues text; past `MAX_DOCUMENT_CHARS` queued, older text (queued or shown) goes,
        since the document would drop it anyway once the rest is in."""
        if self._backlog and self._backlog[-1][1] == kind:
            self._backlog[-1] = (self._backlog[-1][0] + text, kind)
        else:
            self._backlog.append((text, kind))
        self._backlog_chars += len(text)
        excess = self._backlog_chars - MAX_DOCUMENT_CHARS
        if excess <= 0:
            return
        self.document().clear()
        while excess > 0:
            first, first_kind = self._backlog[0]
            if len(first) <= excess:
                self._backlog.pop(0)
                excess -= len(first)
                self._backlog_chars -= len(first)
            else:
                self._backlog[0] = (first[excess:], first_kind)
                self._backlog_chars -= excess
                excess = 0

    def _insert_slice(self) -> None:
        """Inserts up to `INSERT_SLICE_CHARS` of the backlog, oldest first."""
        budget = INSERT_SLICE_CHARS
        while self._backlog and budget > 0:
            text, kind = self._backlog[0]
            if len(text) > budget:
                cut = text.rfind(" ", budget // 2, budget) + 1 or budget
                text, self._backlog[0] = text[:cut], (text[cut:], kind)
            else:
                self._backlog.pop(0)
            self._backlog_chars -= len(text)
            budget -= len(text)
            self._insert(text, kind)

    def _insert(self, text: str, kind: TextKind) -> None:
        bar = self.verticalScrollBar()
        follow = bar.value() >= bar.maximum() - 4
        document = self.document()
        if document.isEmpty():
            text = text.lstrip("\n")
        for piece in _pieces(text):
            self._insert_piece(piece, self._formats[kind])
        excess = document.characterCount() - MAX_DOCUMENT_CHARS
        if excess > 0:
            trim = QTextCursor(document)
            end = min(excess + MAX_DOCUMENT_CHARS // 10, document.characterCount() - 1)
            trim.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            trim.removeSelectedText()
        if follow:
            bar.setValue(bar.maximum())

    def _insert_piece(self, text: str, fmt: QTextCharFormat) -> None:
        cursor = self._cursor
        cursor.movePosition(QTextCursor.MoveOperation.End)
        last = self.document().lastBlock()
        if last.length() > SOFT_BREAK_CHARS and (text[:1].isspace() or last.text()[-1:].isspace()):
            cursor.insertBlock()
            cursor.block().setUserState(_SOFT_BREAK)
        cursor.insertText(text, fmt)


def _pieces(text: str) -> list[str]:
    """`text` cut after spaces into pieces of about `SOFT_BREAK_CHARS` at most."""
    if len(text) <= SOFT_BREAK_CHARS:
        return [text]
    pieces = []
    start = 0
    while len(text) - start > SOFT_BREAK_CHARS:
        cut = text.rfind(" ", start + SOFT_BREAK_CHARS // 2, start + SOFT_BREAK_CHARS)
        cut = cut + 1 if cut >= 0 else start + SOFT_BREAK_CHARS
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces
