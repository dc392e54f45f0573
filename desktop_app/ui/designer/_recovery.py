"""`RecoveryKeeper`: a copy of the designer's unsaved edits on disk, so nothing is lost.

It observes the `CrewEditor`: a moment after the last edit of an unsaved crew it writes a
recovery copy through the `CrewLibrary` in a worker thread. Writes and removals go one at a
time, in order, so a copy never outlives the save that made it stale.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.model import CrewDocument
from desktop_app.storage.crew_library import CrewLibrary
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.widgets.tasks import TaskOwner

_log = logging.getLogger(__name__)

RECOVERY_DELAY_MS = 600
"""How long after the last edit the recovery copy is written."""


class RecoveryKeeper(QObject):
    """Writes recovery copies of the editor's unsaved edits, debounced and off the GUI thread."""

    def __init__(
        self, editor: CrewEditor, library: CrewLibrary,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Starts watching `editor` (its parent).

        Args:
            editor: The crew being designed.
            library: Where recovery copies go.
            on_error: Told when a write failed (the view shows it).
        """
        super().__init__(editor)
        self._editor, self._library = editor, library
        self._writes = TaskOwner(on_error)
        self._lock = asyncio.Lock()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RECOVERY_DELAY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        editor.documentChanged.connect(self._on_editor_document_changed)
        editor.dirtyChanged.connect(self._on_editor_dirty_changed)

    def _wanted(self) -> str | None:
        """The id to keep a copy under, when the editor has edits worth keeping."""
        editor = self._editor
        if editor.dirty and not editor.read_only:
            return editor.recovery_id
        return None

    def _on_editor_document_changed(self) -> None:
        if self._wanted() is not None:
            self._timer.start()

    def _on_editor_dirty_changed(self, dirty: bool) -> None:
        # The first edit after a save: `QUndoStack.push` runs the command (the document
        # changes) before it moves its index, so the editor still read clean just above.
        if dirty and self._wanted() is not None:
            self._timer.start()

    def _on_timer_timeout(self) -> None:
        recovery_id = self._wanted()
        if recovery_id is not None:
            self._writes.spawn(self._write(recovery_id, self._editor.document))

    async def _write(self, recovery_id: str, doc: CrewDocument) -> None:
        async with self._lock:
            await self._library.asave_recovery(recovery_id, doc)

    def cancel_pending(self) -> None:
        """Forgets an edit waiting to be written (it was just saved)."""
        self._timer.stop()

    async def flush(self) -> None:
        """Writes the copy now if an edit is waiting, and waits for the writes to end."""
        if self._timer.isActive():
            self._timer.stop()
            self._on_timer_timeout()
        await self._writes.join()

    async def drop(self, recovery_id: str | None) -> None:
        """Removes the copy kept under `recovery_id` (after the writes before it)."""
        if recovery_id is None:
            return
        async with self._lock:
            await self._library.adiscard_recovery(recovery_id)

    def write_now(self) -> None:
        """Writes the copy at once, on this thread: for closing, when the loop may not run
        again (one small file, once)."""
        recovery_id = self._wanted()
        self._timer.stop()
        if recovery_id is None:
            return
        try:
            self._library.save_recovery(recovery_id, self._editor.document)
        except (OSError, CrewFileError) as exc:
            _log.warning("could not keep a recovery copy: %s", exc)
