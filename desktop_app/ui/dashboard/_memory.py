"""`InputsMemory`: keeps the dashboard's inputs of each crew between sessions.

Reads the saved inputs once (off the GUI thread) when the dashboard first lists its crews,
and writes them back (off the GUI thread too) a moment after the person stops typing, picks
other crews or runs: one write per pause (`SAVE_DELAY_MS`), not one per key. The last
pending write is made when the application quits. The store leaves keys out
(`desktop_app.storage.dashboard_inputs`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from desktop_app.storage.dashboard_inputs import CrewInputs, DashboardInputsStore, SavedInputs

__all__ = ["SAVE_DELAY_MS", "InputsMemory"]

log = logging.getLogger(__name__)

SAVE_DELAY_MS = 800
"""Quiet time after a change before the inputs are written."""


class InputsMemory(QObject):
    """Loads and saves what was typed per crew, through a `DashboardInputsStore`."""

    def __init__(self, store: DashboardInputsStore,
                 snapshot: Callable[[], dict[str, CrewInputs]],
                 parent: QObject | None = None) -> None:
        """Saves nothing until `changed()` is called.

        Args:
            store: Reads and writes the file.
            snapshot: Gives what is typed now, per crew.
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.store = store
        self._snapshot = snapshot
        self._loaded: SavedInputs | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._on_app_aboutToQuit)

    async def load_once(self) -> dict[str, CrewInputs] | None:
        """The inputs of the last session the first time; None afterwards."""
        if self._loaded is not None:
            return None
        self._loaded = await self.store.aload()
        return self._loaded.crews

    def changed(self) -> None:
        """Something typed changed: save once the person pauses."""
        if self._loaded is not None:  # never overwrite a file not read yet
            self._timer.start()

    async def aflush(self) -> None:
        """Writes a pending change now and waits for every write to end."""
        if self._timer.isActive():
            self._timer.stop()
            await self._save()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _saved(self) -> SavedInputs:
        crews = dict(self._loaded.crews) if self._loaded is not None else {}
        crews.update(self._snapshot())
        return SavedInputs(crews=crews)

    async def _save(self) -> None:
        try:
            await self.store.asave(self._saved())
        except OSError as exc:  # a full disk or a read-only folder: only memory is lost
            log.warning("cannot save the dashboard's inputs to %s: %s", self.store.path, exc)

    def _on_timer_timeout(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop runs (it is closing): write here, it is small
            self._save_now()
            return
        task = loop.create_task(self._save())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_app_aboutToQuit(self) -> None:
        if self._timer.isActive():  # the loop is ending: write the last change here
            self._timer.stop()
            self._save_now()

    def _save_now(self) -> None:
        try:
            self.store.save(self._saved())
        except OSError as exc:
            log.warning("cannot save the dashboard's inputs to %s: %s", self.store.path, exc)
