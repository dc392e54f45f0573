"""Lines about a run's course in its panel: a plan made before a task, a skipped task."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop_app.engine import events as ev
from desktop_app.ui.controllers.run_controller import _apply
from desktop_app.ui.controllers.run_state import RunState
from desktop_app.ui.dashboard.run_panel import RunPanel


class _Recorder:
    """Keeps what the controller would write to history."""

    def __init__(self) -> None:
        self.pieces: list[tuple[int, str, str]] = []

    def text(self, task_index: int, text: str, kind: str = "text") -> None:
        self.pieces.append((task_index, text, kind))


def test_a_skipped_task_and_a_plan_show_in_the_panel_and_go_to_history(qtbot: QtBot) -> None:
    state = RunState("Conditional crew")
    panel = RunPanel(state)
    qtbot.addWidget(panel)
    recorder = _Recorder()
    meta = {"run_id": state.run_id, "agent_role": "Writer"}
    _apply(state, ev.PlanCreated(task_index=0, task_name="draft", source="crew_planning",
                                 plan="1. Outline\n2. Write", **meta), recorder)
    _apply(state, ev.TaskSkipped(task_index=1, task_name="polish", description="Polish it",
                                 **meta), recorder)
    state.flush()
    shown = panel.shown_text()
    assert "Plan for task 1:\n1. Outline\n2. Write" in shown
    assert "Task 2 (polish) skipped: its condition was false" in shown
    assert [kind for _index, _text, kind in recorder.pieces] == ["note", "note"]
    assert recorder.pieces[1][0] == 1 and "skipped" in recorder.pieces[1][1]
