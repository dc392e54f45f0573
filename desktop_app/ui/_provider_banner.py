"""`ProviderBanner`: the line above the tabs when no model provider is set up yet.

Shown at start and after Settings changed, while `AppServices.has_provider()` is false; it
offers Settings and the offline simulator. (Before a run the dashboard asks the same
question for the crews it is about to run: `dashboard/_preflight.py`.)
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop_app.ui._theme import themed_sheet

__all__ = ["ProviderBanner"]


class ProviderBanner(QFrame):
    """Says that no model provider is set up, and offers the two ways forward.

    Signals:
        settingsRequested(): "Open Settings" was pressed.
        simulatorRequested(): "Use the offline simulator" was pressed.
    """

    settingsRequested = Signal()
    simulatorRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds the banner (hidden until `show()`)."""
        super().__init__(parent)
        self.setObjectName("ProviderBanner")
        themed_sheet(self, "#ProviderBanner { background: #fef3c7; border: 1px solid #f59e0b;"
                     " border-radius: 4px; } QLabel { color: #78350f; }",
                     "#ProviderBanner { background: #3d3415; border: 1px solid #b45309;"
                     " border-radius: 4px; } QLabel { color: #fde68a; }")
        text = QLabel(
            "<b>No model provider is set up yet.</b> Add one (OpenAI, Anthropic, Ollama …) "
            "with its API key in Settings, or try the crews offline on the built-in simulator."
        )
        text.setWordWrap(True)
        self.settings_button = QPushButton("Open Settings")
        self.simulator_button = QPushButton("Use the offline simulator")
        layout = QHBoxLayout(self)
        layout.addWidget(text, 1)
        layout.addWidget(self.settings_button)
        layout.addWidget(self.simulator_button)
        self.settings_button.clicked.connect(self.settingsRequested)
        self.simulator_button.clicked.connect(self.simulatorRequested)
        self.hide()
