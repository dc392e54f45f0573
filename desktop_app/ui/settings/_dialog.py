"""`SettingsDialog`: providers with their keys, the concurrency limit and the run mode."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from desktop_app.ui.widgets.protocols import ServicesLike


class SettingsDialog(QDialog):
    """Edits the settings. Open it with `open()`, never `exec()`.

    Signals:
        settingsChanged(): The settings were saved.
    """

    settingsChanged = Signal()

    def __init__(self, services: ServicesLike, parent: QWidget | None = None) -> None:
        """Builds the dialog.

        Args:
            services: The app's services.
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._services = services
        self.setWindowTitle("Settings")
        QVBoxLayout(self)
