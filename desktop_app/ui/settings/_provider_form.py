"""`ProviderForm`: one provider's name, base URL, model and API key field.

The form edits a `ProviderSettings` in place (the dialog's working copy). The API key typed
here never goes into the settings: the dialog takes it from `typed_key()` and gives it to the
secret store. The stored key is only ever shown masked.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from desktop_app.engine._local_models import LocalModel, Server
from desktop_app.storage.settings import ProviderSettings
from desktop_app.ui.settings._providers import KINDS
from desktop_app.ui.widgets.fields import named
from desktop_app.ui.widgets.local_models import (
    LocalModelFinder,
    offer_local_models,
    shared_finder,
    tool_warning,
)


class ProviderForm(QWidget):
    """Edits one provider.

    Signals:
        changed(): A field of the provider changed.
        testRequested(): The user pressed "Test connection".
        removeKeyRequested(): The user pressed "Remove stored key".
        defaultToggled(bool): "Use as default provider" was ticked or unticked.
    """

    changed = Signal()
    testRequested = Signal()
    removeKeyRequested = Signal()
    defaultToggled = Signal(bool)

    def __init__(
        self, parent: QWidget | None = None, *, local_models: LocalModelFinder | None = None
    ) -> None:
        """Builds an empty form; `show_provider` fills it. For an Ollama or LM Studio
        provider, the models its server has installed are offered with a "local" badge
        (`local_models` finds them; the app's shared finder when None)."""
        super().__init__(parent)
        self.provider: ProviderSettings | None = None
        self.kind_label = QLabel()
        self.name_edit = self._line("providerName", self._on_name_edit_text_edited)
        self.url_edit = self._line("providerBaseUrl", self._on_url_edit_text_edited)
        self.model_box = named(QComboBox(), "providerModel")
        self.model_box.setEditable(True)
        self.model_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_box.currentTextChanged.connect(self._on_model_box_current_text_changed)
        self.local_warning = named(QLabel(), "localModelWarning")
        self.local_warning.setWordWrap(True)
        self.local_warning.setStyleSheet("color: #b9770e;")
        self.local_warning.hide()
        self._finder = local_models if local_models is not None else shared_finder()
        self._finder.found.connect(self._on_finder_found)
        self.credential_label = named(QLabel(), "credentialName")
        self.key_edit = self._line("apiKey", None)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("paste a key to store it when you save")
        self.session_box = named(
            QCheckBox("Use this key for this session only (kept in memory)"), "sessionOnly"
        )
        self.session_box.hide()
        self.stored_label = named(QLabel(), "storedKey")
        self.remove_key_button = named(QPushButton("Remove stored key"), "removeKey")
        self.remove_key_button.clicked.connect(self.removeKeyRequested.emit)
        self.default_box = named(QCheckBox("Use as default provider"), "defaultProvider")
        self.default_box.toggled.connect(self.defaultToggled.emit)
        self.test_button = named(QPushButton("Test connection"), "testConnection")
        self.test_button.clicked.connect(self.testRequested.emit)
        self.test_label = named(QLabel(), "testResult")
        self.test_label.setWordWrap(True)
        self._layout()
        self.setEnabled(False)

    def _line(self, name: str, slot: Callable[[str], None] | None) -> QLineEdit:
        edit = named(QLineEdit(), name)
        if slot is not None:
            edit.textEdited.connect(slot)
        return edit

    def _layout(self) -> None:
        form = QFormLayout(self)
        form.addRow("Kind", self.kind_label)
        form.addRow("Name", self.name_edit)
        form.addRow("Base URL", self.url_edit)
        form.addRow("Default model", self.model_box)
        form.addRow("", self.local_warning)
        form.addRow("Keychain entry", self.credential_label)
        form.addRow("API key", self.key_edit)
        form.addRow("", self.session_box)
        key_row = QHBoxLayout()
        key_row.addWidget(self.stored_label, 1)
        key_row.addWidget(self.remove_key_button)
        form.addRow("Stored key", key_row)
        form.addRow("", self.default_box)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_label, 1)
        form.addRow("", test_row)

    def show_provider(self, provider: ProviderSettings | None, is_default: bool) -> None:
        """Shows a provider (the object is edited in place), or nothing."""
        self.provider = provider
        self.setEnabled(provider is not None)
        self.key_edit.clear()
        self.test_label.clear()
        if provider is None:
            return
        info = KINDS[provider.kind]
        self.kind_label.setText(info.label)
        self.name_edit.setText(provider.display_name)
        self.url_edit.setText(provider.base_url or "")
        self.url_edit.setPlaceholderText(
            "required, e.g. http://localhost:8000/v1" if info.needs_url
            else "the provider's own (leave empty)"
        )
        blocked = self.model_box.blockSignals(True)
        self.model_box.clear()
        self.model_box.addItems(list(info.models))
        self.model_box.setEditText(provider.default_model)
        self.model_box.blockSignals(blocked)
        self._offer_local_models()
        if provider.kind in LOCAL_SERVERS:
            self._finder.refresh()
        self.credential_label.setText(provider.credential_name or "none (no key needed)")
        has_entry = provider.credential_name is not None
        self.key_edit.setEnabled(has_entry)
        self.remove_key_button.setEnabled(has_entry)
        blocked = self.default_box.blockSignals(True)
        self.default_box.setChecked(is_default)
        self.default_box.blockSignals(blocked)

    def typed_key(self) -> str:
        """The key typed in the field ("" when none)."""
        return self.key_edit.text().strip()

    def show_stored(self, text: str) -> None:
        """Shows the masked stored key and where it is kept."""
        self.stored_label.setText(text)

    def show_test_result(self, ok: bool | None, text: str) -> None:
        """Shows the outcome of a connection test (None: running)."""
        color = {True: "#1e8449", False: "#c0392b", None: "palette(text)"}[ok]
        self.test_label.setStyleSheet(f"color: {color};")
        self.test_label.setText(text)

    def _on_name_edit_text_edited(self, text: str) -> None:
        if self.provider is not None:
            self.provider.display_name = text.strip()
            self.changed.emit()

    def _on_url_edit_text_edited(self, text: str) -> None:
        if self.provider is not None:
            self.provider.base_url = text.strip() or None
            self.changed.emit()

    def _on_model_box_current_text_changed(self, text: str) -> None:
        self._show_tool_warning(text)
        if self.provider is not None:
            self.provider.default_model = text.strip()
            self.changed.emit()

    def _on_finder_found(self, _models: list[LocalModel]) -> None:
        self._offer_local_models()

    def _offer_local_models(self) -> None:
        """The installed models of this provider's local server, badged (none for others)."""
        kind = self.provider.kind if self.provider is not None else None
        server = LOCAL_SERVERS.get(kind or "")
        offer_local_models(self.model_box, self._finder.models if server else [], server)
        self._show_tool_warning(self.model_box.currentText())

    def _show_tool_warning(self, model: str) -> None:
        warning = tool_warning(self._finder.models, model)
        self.local_warning.setText(warning or "")
        self.local_warning.setVisible(warning is not None)


LOCAL_SERVERS: dict[str, Server] = {"ollama": "ollama", "lm_studio": "lm_studio"}
"""Provider kinds whose server may run on this machine: the kind's server."""
