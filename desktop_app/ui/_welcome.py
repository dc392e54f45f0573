"""`WelcomeView`: what the designer shows when no crew is open, the examples as cards.

Each card names an example crew, says in one line what it does, and offers Open (in the
designer) and Run on the simulator (offline, no key needed). Above the cards: New crew,
Open crew file… and Open CrewAI project…. Everything is reachable with Tab, and Enter or
Space presses the focused button.

The view only emits requests; the designer (`designer._view_layout`) and the main window
(`_window_look`) act on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui import _icons

__all__ = ["ExampleCard", "ExampleInfo", "WelcomeView"]

_COLUMNS = 2


@dataclass(frozen=True, slots=True)
class ExampleInfo:
    """What a card shows of one example crew.

    Attributes:
        crew_id: Its library id (``example:<stem>``).
        name: The crew's name.
        description: One line on what it does.
        hierarchical: Whether a manager delegates its tasks (said on the card).
        asks: Whether a task asks the person running it for feedback (said on the card).
    """

    crew_id: str
    name: str
    description: str
    hierarchical: bool = False
    asks: bool = False


def _button(text: str, name: str, icon: str, tone: _icons.Tone = "text") -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAutoDefault(True)  # Enter presses the focused button, as Space does
    _icons.use(button, icon, tone)
    return button


class ExampleCard(QFrame):
    """One example crew: its name, what it does, Open and Run on the simulator.

    Signals:
        openRequested(str): Open this crew (its id) in the designer.
        simulateRequested(str): Run this crew on the offline simulator.
    """

    openRequested = Signal(str)
    simulateRequested = Signal(str)

    def __init__(self, info: ExampleInfo, parent: QWidget | None = None) -> None:
        """Builds the card of ``info``."""
        super().__init__(parent)
        self.info = info
        self.setObjectName("exampleCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        title = QLabel(info.name)
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        title.setFont(font)
        self.title = title
        self.description = QLabel(info.description or "An example crew.")
        self.description.setWordWrap(True)
        traits = ["Hierarchical: a manager delegates" if info.hierarchical else "Sequential"]
        if info.asks:
            traits.append("asks you for feedback")
        self.traits = QLabel(" · ".join(traits))
        self.traits.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.open_button = _button("Open", "openExample", "open")
        self.open_button.setToolTip(f"Open “{info.name}” in the designer (read-only: save a "
                                    "copy to change it)")
        self.run_button = _button("Run on the simulator", "simulateExample", "run", "accent")
        self.run_button.setToolTip("Run it offline on CrewDesk's simulator: no key, no cost")
        self.open_button.clicked.connect(lambda: self.openRequested.emit(info.crew_id))
        self.run_button.clicked.connect(lambda: self.simulateRequested.emit(info.crew_id))
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.run_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(16, 14, 16, 14)
        column.setSpacing(8)
        column.addWidget(title)
        column.addWidget(self.description)
        column.addWidget(self.traits)
        column.addLayout(buttons)


class WelcomeView(QScrollArea):
    """The designer's page when no crew is open: the examples as cards, and ways to start.

    Attributes:
        cards: The example cards, in the order shown.

    Signals:
        openRequested(str): Open the crew with this id in the designer.
        simulateRequested(str): Run the crew with this id on the offline simulator.
        newRequested(): Start a new, empty crew.
        openFileRequested(): Open a crew file from anywhere.
        projectRequested(): Open a CrewAI project folder.
    """

    openRequested = Signal(str)
    simulateRequested = Signal(str)
    newRequested = Signal()
    openFileRequested = Signal()
    projectRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds the page, without cards until `show_examples`."""
        super().__init__(parent)
        self.setObjectName("welcomeView")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.cards: list[ExampleCard] = []
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setContentsMargins(32, 24, 32, 24)
        column.setSpacing(12)
        heading = QLabel("Welcome to CrewDesk")
        font = QFont(heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        heading.setFont(font)
        intro = QLabel("Design a crew of AI agents on a canvas, run it on the dashboard, look "
                       "back in History. Start from an example, or from scratch.")
        intro.setWordWrap(True)
        column.addWidget(heading)
        column.addWidget(intro)
        column.addLayout(self._start_row())
        examples = QLabel("Examples")
        examples.setFont(QFont(font.family(), round(heading.font().pointSizeF() / 1.35),
                               QFont.Weight.Bold))
        column.addSpacing(8)
        column.addWidget(examples)
        self.grid = QGridLayout()
        self.grid.setSpacing(12)
        column.addLayout(self.grid)
        column.addStretch(1)
        self.setWidget(inner)

    def _start_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.new_button = _button("New crew", "welcomeNew", "new")
        self.open_file_button = _button("Open crew file…", "welcomeOpenFile", "open")
        self.project_button = _button("Open CrewAI project…", "welcomeProject", "import")
        self.new_button.clicked.connect(self.newRequested)
        self.open_file_button.clicked.connect(self.openFileRequested)
        self.project_button.clicked.connect(self.projectRequested)
        for button in (self.new_button, self.open_file_button, self.project_button):
            row.addWidget(button)
        row.addStretch(1)
        return row

    def show_examples(self, examples: list[ExampleInfo]) -> None:
        """Shows one card per example (replacing the cards shown before)."""
        for card in self.cards:
            self.grid.removeWidget(card)
            card.deleteLater()
        self.cards = []
        for index, info in enumerate(examples):
            card = ExampleCard(info)
            card.openRequested.connect(self.openRequested)
            card.simulateRequested.connect(self.simulateRequested)
            self.grid.addWidget(card, index // _COLUMNS, index % _COLUMNS)
            self.cards.append(card)
        for col in range(_COLUMNS):
            self.grid.setColumnStretch(col, 1)
        order = [self.new_button, self.open_file_button, self.project_button]
        for card in self.cards:
            order += [card.open_button, card.run_button]
        for first, second in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def focus_first(self) -> None:
        """Puts the keyboard focus on the first card's Open (or on New crew)."""
        target = self.cards[0].open_button if self.cards else self.new_button
        target.setFocus(Qt.FocusReason.OtherFocusReason)
