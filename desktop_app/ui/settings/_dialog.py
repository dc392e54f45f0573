"""`SettingsDialog`: providers with their keys, the concurrency limit and the run mode.

Keys go to the OS keychain through `SecretStore` only: never into the settings file, never into
a log, and shown only masked. When no keychain works the dialog says why and how to fix it,
and offers to keep a key in memory for this session only; it never falls back to a file.

Every keychain, file and network call is awaited off the GUI thread; open the dialog with
`open()` (never `exec()`, which would start a nested event loop).
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMenu,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.storage.secrets import KeyringStatus, SecretStoreError, mask
from desktop_app.storage.settings import ProviderKind, ProviderSettings, Settings
from desktop_app.ui._run_modes import mode_label, mode_tooltip
from desktop_app.ui.settings._connection import ConnectionResult, check_connection
from desktop_app.ui.settings._mcp import McpServersPage
from desktop_app.ui.settings._provider_form import ProviderForm
from desktop_app.ui.settings._providers import KINDS, new_provider
from desktop_app.ui.settings._tool_keys import ToolKeysPage
from desktop_app.ui.widgets.fields import named
from desktop_app.ui.widgets.protocols import ServicesLike
from desktop_app.ui.widgets.tasks import TaskOwner

NO_KEY = "no-key-needed"
"""The API key sent to local servers that need none (litellm's OpenAI client wants one)."""

_SOURCE_TEXT = {
    "keychain": "in the keychain",
    "session": "for this session only (in memory)",
    "environment": "from the environment variable",
}


class SettingsDialog(QDialog):
    """Edits the settings. Open it with `open()`, never `exec()`.

    Signals:
        settingsChanged(): The settings (and keys) were saved.
    """

    settingsChanged = Signal()

    def __init__(
        self, services: ServicesLike, parent: QWidget | None = None, *, provider_id: str = ""
    ) -> None:
        """Builds the dialog; it loads the settings once the event loop runs (see `ready`).

        Args:
            services: The app's services (`settings`, `secrets`, `save_settings`; `simulator`
                when present, for testing the offline simulator).
            parent: The Qt parent.
            provider_id: The provider to show first (a run's refused key); "" for the first.
        """
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.resize(820, 520)
        self._services = services
        self._first_provider = provider_id
        self._tasks = TaskOwner(self._on_task_failed)
        self._settings = Settings()
        self.keyring_status: KeyringStatus | None = None
        self._start_task: asyncio.Task[None] | None = None
        self._build()
        QTimer.singleShot(0, self, self._on_start_timer)

    # -- building ----------------------------------------------------------------------

    def _build(self) -> None:
        self.keychain_banner = named(QLabel(), "keychainBanner")
        self.keychain_banner.setWordWrap(True)
        self.keychain_banner.setStyleSheet(
            "#keychainBanner { background: #fdecea; color: #7f1d1d; padding: 6px; }"
        )
        self.keychain_banner.hide()
        self.provider_list = named(QListWidget(), "providerList")
        self.provider_list.currentRowChanged.connect(self._on_provider_list_current_row_changed)
        self.form = ProviderForm()
        self.form.changed.connect(self._on_form_changed)
        self.form.testRequested.connect(lambda: self._tasks.spawn(self.test_connection()))
        self.form.removeKeyRequested.connect(lambda: self._tasks.spawn(self.remove_key()))
        self.form.defaultToggled.connect(self._on_form_default_toggled)
        self.concurrency_box = named(QSpinBox(), "concurrency")
        self.concurrency_box.setRange(1, 1000)
        self.mode_box = named(QComboBox(), "runMode")
        for run_mode in ("akickoff", "kickoff_async"):
            self.mode_box.addItem(mode_label(run_mode), run_mode)
            self.mode_box.setItemData(self.mode_box.count() - 1, mode_tooltip(run_mode),
                                      Qt.ItemDataRole.ToolTipRole)
        self.status_label = named(QLabel(), "settingsStatus")
        self.status_label.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(lambda: self._tasks.spawn(self.save()))
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        tabs = QTabWidget()
        tabs.addTab(self._providers_page(), "Providers")
        tabs.addTab(self._runs_page(), "Runs")
        self.tool_keys = ToolKeysPage(self._services.secrets, self._tasks)
        tabs.addTab(self.tool_keys, "Tool keys")
        self.mcp_page = McpServersPage(self._services.secrets, self._tasks)
        tabs.addTab(self.mcp_page, "MCP servers")
        layout = QVBoxLayout(self)
        layout.addWidget(self.keychain_banner)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)

    def _providers_page(self) -> QWidget:
        add_button = named(QToolButton(), "addProvider")
        add_button.setText("Add provider")
        add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(add_button)
        for kind, info in KINDS.items():
            action = menu.addAction(info.label)
            action.triggered.connect(lambda _checked=False, k=kind: self.add_provider(k))
        add_button.setMenu(menu)
        remove_button = named(QPushButton("Remove"), "removeProvider")
        remove_button.clicked.connect(self._on_remove_button_clicked)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.provider_list)
        row = QHBoxLayout()
        row.addWidget(add_button)
        row.addWidget(remove_button)
        column.addLayout(row)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.form)
        splitter.setStretchFactor(1, 3)
        return splitter

    def _runs_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.addRow("Runs calling models at once", self.concurrency_box)
        form.addRow("Default run mode", self.mode_box)
        return page

    # -- loading -----------------------------------------------------------------------

    def _on_start_timer(self) -> None:
        if self._start_task is None:
            self._start_task = self._tasks.spawn(self._start())

    async def ready(self) -> None:
        """Waits until the settings and the keychain status are loaded."""
        if self._start_task is None:
            self._start_task = self._tasks.spawn(self._start())
        if self._start_task is not None:
            await asyncio.shield(self._start_task)

    async def _start(self) -> None:
        loaded = await self._services.settings.aload()
        self._settings = loaded.settings.model_copy(deep=True)
        if loaded.warning:
            self._say(loaded.warning)
        self.keyring_status = await self._services.secrets.aavailable()
        self._show_keyring_status(self.keyring_status)
        await self.tool_keys.refresh()
        self.concurrency_box.setValue(self._settings.concurrency_limit)
        self.mode_box.setCurrentIndex(max(0, self.mode_box.findData(self._settings.default_run_mode)))
        self.mcp_page.show_servers(self._settings)
        ids = [provider.id for provider in self._settings.providers]
        self._show_providers(ids.index(self._first_provider) if self._first_provider in ids else 0)

    def _show_keyring_status(self, status: KeyringStatus) -> None:
        if status.ok:
            self.keychain_banner.hide()
            self.form.session_box.hide()
            return
        self.keychain_banner.setText(
            f"<b>No keychain: API keys cannot be stored.</b> {status.problem}<br>"
            f"<i>How to fix it:</i> {status.advice}"
        )
        self.keychain_banner.show()
        self.form.session_box.show()

    def _show_providers(self, row: int) -> None:
        blocked = self.provider_list.blockSignals(True)
        self.provider_list.clear()
        for provider in self._settings.providers:
            self.provider_list.addItem(self._list_text(provider))
        self.provider_list.blockSignals(blocked)
        self.provider_list.setCurrentRow(min(row, len(self._settings.providers) - 1))
        if not self._settings.providers:
            self.form.show_provider(None, False)
            self._say("No provider yet: add one, or the offline simulator for a dry run.")

    def _list_text(self, provider: ProviderSettings) -> str:
        default = " (default)" if provider.id == self._settings.default_provider else ""
        return f"{provider.display_name or provider.id}{default}"

    @property
    def settings(self) -> Settings:
        """The settings as edited so far (not saved yet)."""
        return self._settings

    def current_provider(self) -> ProviderSettings | None:
        """The provider shown in the form."""
        return self.form.provider

    def _say(self, text: str) -> None:
        self.status_label.setText(text)

    def _on_task_failed(self, error: BaseException) -> None:
        self._say(f"Failed: {error}")

    # -- editing -----------------------------------------------------------------------

    def add_provider(self, kind: ProviderKind) -> ProviderSettings:
        """Adds a provider of `kind` and shows it."""
        provider = new_provider(self._settings, kind)
        self._settings.providers = [*self._settings.providers, provider]
        if self._settings.default_provider is None:
            self._settings.default_provider = provider.id
        self._show_providers(len(self._settings.providers) - 1)
        self._say(f"Added {provider.display_name}: set its model and key, then Save.")
        return provider

    def _on_remove_button_clicked(self) -> None:
        row = self.provider_list.currentRow()
        if row < 0:
            return
        removed = self._settings.providers[row]
        self._settings.providers = [p for p in self._settings.providers if p is not removed]
        if self._settings.default_provider == removed.id:
            self._settings.default_provider = None
        self._show_providers(max(0, row - 1))

    def _on_provider_list_current_row_changed(self, row: int) -> None:
        providers = self._settings.providers
        provider = providers[row] if 0 <= row < len(providers) else None
        is_default = provider is not None and provider.id == self._settings.default_provider
        self.form.show_provider(provider, is_default)
        if provider is not None:
            self._tasks.spawn(self._show_stored_key(provider))

    def _on_form_changed(self) -> None:
        row = self.provider_list.currentRow()
        provider = self.form.provider
        if provider is not None and row >= 0:
            self.provider_list.item(row).setText(self._list_text(provider))

    def _on_form_default_toggled(self, on: bool) -> None:
        provider = self.form.provider
        if provider is None:
            return
        if on:
            self._settings.default_provider = provider.id
        elif self._settings.default_provider == provider.id:
            self._settings.default_provider = None
        for row, item in enumerate(self._settings.providers):
            self.provider_list.item(row).setText(self._list_text(item))

    # -- keys --------------------------------------------------------------------------

    async def _show_stored_key(self, provider: ProviderSettings) -> None:
        if provider.credential_name is None:
            self.form.show_stored("no key needed")
            return
        found = await self._services.secrets.aresolve(provider.credential_name, provider.kind)
        if self.form.provider is not provider:
            return
        if found is None:
            self.form.show_stored("none stored")
        else:
            self.form.show_stored(f"{mask(found.value)} ({_SOURCE_TEXT[found.source]})")

    async def store_typed_key(self) -> bool:
        """Stores the key typed for the shown provider (keychain, or session when agreed).

        Returns:
            True when there was nothing to store or it was stored.
        """
        provider, key = self.form.provider, self.form.typed_key()
        if provider is None or not key or provider.credential_name is None:
            return True
        secrets = self._services.secrets
        try:
            if self.keyring_status is not None and not self.keyring_status.ok:
                if not self.form.session_box.isChecked():
                    self._say("No keychain: tick “use this key for this session only”, or fix "
                              "the keychain (see above). The key was not kept.")
                    return False
                await secrets.ause_for_session(provider.credential_name, key)
            else:
                await secrets.aset(provider.credential_name, key)
        except (SecretStoreError, ValueError) as exc:
            self._say(f"The key was not stored: {exc}")
            return False
        self.form.key_edit.clear()
        await self._show_stored_key(provider)
        return True

    async def remove_key(self) -> None:
        """Removes the shown provider's key from the keychain and the session."""
        provider = self.form.provider
        if provider is None or provider.credential_name is None:
            return
        try:
            removed = await self._services.secrets.adelete(provider.credential_name)
        except SecretStoreError as exc:
            self._say(f"The key was not removed: {exc}")
            return
        self._say("Key removed." if removed else "There was no stored key.")
        await self._show_stored_key(provider)

    # -- testing and saving ------------------------------------------------------------

    async def test_connection(self) -> ConnectionResult:
        """Sends a tiny request to the shown provider with its key; shows ok or the error."""
        provider = self.form.provider
        if provider is None:
            return ConnectionResult(False, "No provider chosen.")
        self.form.test_button.setEnabled(False)
        self.form.show_test_result(None, "Testing…")
        try:
            result = await self._check(provider)
        finally:
            self.form.test_button.setEnabled(True)
        self.form.show_test_result(result.ok, result.message)
        return result

    async def _check(self, provider: ProviderSettings) -> ConnectionResult:
        key: str | None = self.form.typed_key() or None
        if key is None and provider.credential_name:
            found = await self._services.secrets.aresolve(provider.credential_name, provider.kind)
            key = found.value if found is not None else None
        base_url = provider.base_url
        if provider.kind == "simulator" and not base_url:
            simulator: Any = getattr(self._services, "simulator", None)
            if simulator is None:
                return ConnectionResult(False, "The offline simulator is not available here.")
            base_url = await simulator.base_url()
        if KINDS[provider.kind].needs_url and not base_url:
            return ConnectionResult(False, "Give the server's base URL first.")
        if key is None and not KINDS[provider.kind].needs_key:
            key = NO_KEY  # local servers ignore it; litellm's OpenAI client insists on one
        return await check_connection(provider.default_model, base_url, key)

    async def save(self) -> bool:
        """Stores a typed key, saves the settings, emits `settingsChanged` and closes.

        Returns:
            True when everything was saved.
        """
        self.save_button.setEnabled(False)
        try:
            if not await self.store_typed_key():
                return False
            self._settings.concurrency_limit = self.concurrency_box.value()
            self._settings.default_run_mode = (
                "kickoff_async" if self.mode_box.currentData() == "kickoff_async" else "akickoff"
            )
            await self._services.save_settings(self._settings)
        finally:
            self.save_button.setEnabled(True)
        self.settingsChanged.emit()
        self.accept()
        return True

    def done(self, result: int) -> None:  # Qt override
        """Closes the dialog and stops its tasks (a test still running is cancelled)."""
        self._tasks.cancel_all()
        super().done(result)
