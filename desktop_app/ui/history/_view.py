"""`HistoryView`: the runs kept in the history, and the full output of the selected one."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop_app.ui.widgets.protocols import ServicesLike


class HistoryView(QWidget):
    """Browses the run history.

    Signals:
        rerunRequested(str): The user asked to run again the run with this id.
    """

    rerunRequested = Signal(str)

    def __init__(self, services: ServicesLike, parent: QWidget | None = None) -> None:
        """Builds the view.

        Args:
            services: The app's services.
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._services = services
        QVBoxLayout(self)

    async def refresh(self) -> None:
        """Reloads the list of runs from the history."""
