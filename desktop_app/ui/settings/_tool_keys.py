"""`ToolKeysPage`: the keys of the tools CrewAI projects use (``SERPER_API_KEY`` ...).

Each key is kept in the OS keychain under its environment variable's name, where the app's
key source (`desktop_app.ui.keys`) finds it when a tool runs; a variable set in the
environment still wins. A row stores or removes its key at once (in a worker thread), apart
from the dialog's Save, and shows where the key comes from now, masked.
"""

from __future__ import annotations

import asyncio
import os

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from desktop_app.storage.secrets import SecretStore, SecretStoreError, mask
from desktop_app.ui.keys import TOOL_KEY_NAMES, forget_key, remember_key
from desktop_app.ui.widgets.fields import named
from desktop_app.ui.widgets.tasks import TaskOwner

__all__ = ["ToolKeysPage"]


class ToolKeysPage(QWidget):
    """One row per tool key: a masked field, Store and Remove, and where the key is now."""

    def __init__(self, secrets: SecretStore, tasks: TaskOwner, parent: QWidget | None = None) -> None:
        """Builds the rows; `refresh()` shows where each key is.

        Args:
            secrets: The app's secret store.
            tasks: Owns the keychain calls' tasks (the dialog's).
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._secrets = secrets
        self._tasks = tasks
        self.edits: dict[str, QLineEdit] = {}
        self.states: dict[str, QLabel] = {}
        form = QFormLayout(self)
        form.addRow(QLabel("Keys of the tools CrewAI projects use (SerperDevTool, "
                           "TavilySearchTool ...). An environment variable that is set wins."))
        for name in TOOL_KEY_NAMES:
            edit = named(QLineEdit(), f"toolKey_{name}")
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            store = named(QPushButton("Store"), f"storeToolKey_{name}")
            store.clicked.connect(lambda _c=False, n=name: self._tasks.spawn(self.store(n)))
            remove = named(QPushButton("Remove"), f"removeToolKey_{name}")
            remove.clicked.connect(lambda _c=False, n=name: self._tasks.spawn(self.remove(n)))
            state = named(QLabel(), f"toolKeyState_{name}")
            row = QHBoxLayout()
            for widget in (edit, store, remove, state):
                row.addWidget(widget)
            form.addRow(name, row)
            self.edits[name], self.states[name] = edit, state

    async def refresh(self) -> None:
        """Shows where each key comes from (keychain calls in a worker thread)."""
        for name in TOOL_KEY_NAMES:
            self.states[name].setText(await asyncio.to_thread(self._where, name))

    def _where(self, name: str) -> str:
        if os.environ.get(name, "").strip():
            return "from the environment"
        try:
            value = self._secrets.get(name)
        except SecretStoreError:
            return "keychain unavailable"
        return f"in the keychain ({mask(value)})" if value else "not set"

    async def store(self, name: str) -> bool:
        """Stores the typed key in the keychain; returns whether it was stored."""
        value = self.edits[name].text().strip()
        if not value:
            self.states[name].setText("type a key first")
            return False
        try:
            await self._secrets.aset(name, value)
        except SecretStoreError as exc:
            self.states[name].setText(f"not stored: {exc}")
            return False
        remember_key(name, value)
        self.edits[name].clear()
        self.states[name].setText(await asyncio.to_thread(self._where, name))
        return True

    async def remove(self, name: str) -> None:
        """Removes the key from the keychain."""
        await self._secrets.adelete(name)
        forget_key(name)
        self.states[name].setText(await asyncio.to_thread(self._where, name))
