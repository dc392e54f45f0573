"""`CostSplitLabel`: a run panel's line of cost per task and per agent.

It observes the panel's `RunState`: each `usageChanged` carries the run's totals so far,
reported right after an LLM call of the task that is running (`task_index`) by the agent
that spoke (`speaker`, else the task's agent); the growth since the last report is that
call's, so it goes to that task and agent. Unpriced models count tokens only. Hidden until
the first call is counted.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from desktop_app.ui.controllers.run_state import RunState

__all__ = ["CostSplit", "CostSplitLabel"]


class CostSplit:
    """Tokens and dollars per task and per agent, from a run's growing totals."""

    def __init__(self) -> None:
        self.by_task: dict[int, tuple[int, float]] = {}
        self.by_agent: dict[str, tuple[int, float]] = {}
        self.priced = False
        self._last = (0, 0.0)

    def add(self, task_index: int, agent: str, total_tokens: int, cost: float | None) -> bool:
        """Takes new totals; returns whether anything grew."""
        now = (total_tokens, cost or 0.0)
        tokens, dollars = now[0] - self._last[0], now[1] - self._last[1]
        self._last = now
        if tokens <= 0 and dollars <= 0:
            return False
        self.priced = self.priced or cost is not None
        old = self.by_task.get(task_index, (0, 0.0))
        self.by_task[task_index] = (old[0] + tokens, old[1] + dollars)
        old = self.by_agent.get(agent, (0, 0.0))
        self.by_agent[agent] = (old[0] + tokens, old[1] + dollars)
        return True

    def text(self) -> str:
        """"Task 1 $0.0012 · Task 2 $0.0030  |  Analyst $0.0042"."""
        def figure(value: tuple[int, float]) -> str:
            return f"${value[1]:.4f}" if self.priced else f"{value[0]:,} tok"

        tasks = " · ".join(f"Task {index + 1} {figure(value)}"
                           for index, value in sorted(self.by_task.items()) if index >= 0)
        agents = " · ".join(f"{agent} {figure(value)}"
                            for agent, value in self.by_agent.items() if agent)
        return "  |  ".join(part for part in (tasks, agents) if part)


class CostSplitLabel(QLabel):
    """Shows a run's `CostSplit`, updated as the run's usage grows."""

    def __init__(self, state: RunState, parent: QWidget | None = None) -> None:
        """Follows `state`'s usage."""
        super().__init__(parent)
        self.state = state
        self.split = CostSplit()
        self.setObjectName("costSplit")
        self.setStyleSheet("color: #6b7280; font-size: 11px;")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setToolTip("Cost of each task and each agent so far")
        self.hide()
        state.usageChanged.connect(self._on_state_usageChanged)

    def _on_state_usageChanged(self, total_tokens: int, cost: object) -> None:  # noqa: N802
        state = self.state
        agent = state.speaker or state.agent_role
        value = float(cost) if isinstance(cost, int | float) else None
        if self.split.add(state.task_index, agent, total_tokens, value):
            self.setText(self.split.text())
            self.show()
