"""`FlowDesignView`: an open Flow project in the designer area: its graph, read-only, and Run.

What a Flow is made of lives in its Python code, so the view shows it and where it is
(each step's file and line in its node's tooltip) rather than editing it. Run starts a run
on the dashboard (`runRequested`), with the inputs typed here as a JSON object (merged into
the flow's state, as ``kickoff(inputs=...)``) and, when checked, on the simulator.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.controllers.flow_controller import FlowProject
from desktop_app.ui.flows.graph_view import FlowGraphView

__all__ = ["FlowDesignView"]


class FlowDesignView(QWidget):
    """Shows one Flow project's graph, with Run.

    Signals:
        runRequested(object, object, bool): The project, its inputs (a dict), dry run.
    """

    runRequested = Signal(object, object, bool)

    def __init__(self, opened: FlowProject, parent: QWidget | None = None) -> None:
        """Builds the view of `opened` (its graph when its code is loaded)."""
        super().__init__(parent)
        self.setObjectName("flowDesign")
        self.opened = opened
        self.graph_view = FlowGraphView(opened.graph, opened.crews) if opened.graph else None
        self.message = QLabel(opened.error)
        self.message.setObjectName("flowMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b91c1c")
        self.message.setVisible(bool(opened.error))
        self.inputs = QLineEdit()
        self.inputs.setPlaceholderText('Inputs as JSON, e.g. {"topic": "AI"} (optional)')
        self.dry_run = QCheckBox("Dry run (simulator)")
        self.run_button = QPushButton("Run flow")
        self.run_button.setObjectName("flowRunButton")
        self.run_button.setEnabled(opened.project is not None)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>Flow {opened.name}</b> — {opened.root} (read-only: the "
                                "steps are the project's Python code; hover a step for its "
                                "file and line)"))
        layout.addWidget(self.message)
        if self.graph_view is not None:
            layout.addWidget(self.graph_view, 1)
        else:
            layout.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.inputs, 1)
        row.addWidget(self.dry_run)
        row.addWidget(self.run_button)
        layout.addLayout(row)
        self.run_button.clicked.connect(self._on_run_button_clicked)

    def given_inputs(self) -> dict[str, Any] | None:
        """The inputs typed, or None (said in `message`) when they are not a JSON object."""
        text = self.inputs.text().strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            self.say(f"Inputs are not JSON: {exc}")
            return None
        if not isinstance(value, dict):
            self.say("Inputs must be a JSON object ({\"name\": value, ...})")
            return None
        return value

    def say(self, text: str) -> None:
        """Shows a message above the graph (a problem with the inputs or the run)."""
        self.message.setText(text)
        self.message.show()

    def _on_run_button_clicked(self) -> None:
        inputs = self.given_inputs()
        if inputs is not None:
            self.message.setVisible(bool(self.opened.error))
            self.message.setText(self.opened.error)
            self.runRequested.emit(self.opened, inputs, self.dry_run.isChecked())
