"""`DesignerView`: the list of crews beside the editor of the selected crew."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop_app.ui.widgets.protocols import ServicesLike


class DesignerView(QWidget):
    """Lists the crews and edits the selected one.

    Signals:
        runRequested(str): The user asked to run the crew with this id (saved first).
    """

    runRequested = Signal(str)

    def __init__(self, services: ServicesLike, parent: QWidget | None = None) -> None:
        """Builds the view.

        Args:
            services: The app's services.
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._services = services
        QVBoxLayout(self)
