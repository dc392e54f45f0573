"""Engine events applied to a run: its `RunState` (which its panel observes) and its history.

The `RunController` hands every event of a run's stream here but a task's end and the
approval events, which it handles itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.ui.controllers.run_state import (
    RunState,
    describe_tool_call,
    plan_lines,
    skipped_line,
)

if TYPE_CHECKING:
    from desktop_app.engine import RunEvent
    from desktop_app.ui.controllers._recorder import RunRecorder

__all__ = ["apply_event", "warn", "warning_of"]


def warning_of(event: object) -> str | None:
    """The warning line of an event that warns (`SettingIgnored`), else None.

    Read by its `kind` tag, so that a new kind of warning event needs no change here."""
    if getattr(event, "kind", None) not in ("setting_ignored", "budget_warning"):
        return None
    message = getattr(event, "message", "")
    if isinstance(message, str) and message:
        return message
    return f"{getattr(event, 'owner', '?')}: {getattr(event, 'setting', '?')} is ignored"


def warn(state: RunState, recorder: RunRecorder, message: str, task_index: int) -> None:
    """Shows a warning in the run's panel and keeps it in its history."""
    state.warn(message)
    recorder.text(task_index, message + "\n", "warning")


def apply_event(state: RunState, event: RunEvent, recorder: RunRecorder) -> None:
    """Applies one engine event (other than a task's end) to the run's state.

    A kind this does not know is skipped (the engine may add kinds before the app shows them).
    """
    if event.kind == "trace_span":  # one per LLM call, tool call...: the history keeps them
        recorder.span(event)
        return
    warning = warning_of(event)
    if warning is not None:
        warn(state, recorder, warning, max(getattr(event, "task_index", 0) or 0, 0))
        return
    if event.kind in ("plan_created", "task_skipped"):
        note = (plan_lines(event.task_index, event.plan) if event.kind == "plan_created"
                else skipped_line(event.task_index, event.task_name))
        state.add_note(note)
        recorder.text(event.task_index, note, "note")
        return
    if (event.kind == "text" or event.kind == "tool_call") and event.agent_role != state.speaker:
        state.switch_speaker(event.agent_role)
        recorder.text(event.task_index, event.agent_role + "\n", "agent")
    _apply_progress(state, event, recorder)


def _apply_progress(state: RunState, event: RunEvent, recorder: RunRecorder) -> None:
    """Applies an event of the run's course: text, a task's start, tool calls, usage."""
    if event.kind == "text":
        state.append_text(event.content)
        recorder.text(event.task_index, event.content)
    elif event.kind == "task_started":
        state.start_task(event.task_index, max(state.task_count, 1), event.agent_role)
    elif event.kind == "run_started":
        state.task_count = event.task_count
    elif event.kind == "tool_call":
        from desktop_app.engine import mask_secrets

        arguments = mask_secrets(event.arguments)  # code may spell out a key: never shown
        state.tool_started(event.tool_name, arguments)
        recorder.text(
            event.task_index, describe_tool_call(event.tool_name, arguments) + "\n", "tool_call"
        )
    elif event.kind == "tool_result":
        state.tool_finished(event.tool_name, event.output, event.is_error)
        recorder.text(event.task_index, event.output + "\n", "tool_result")
    elif event.kind == "usage":
        state.set_usage(event.usage.total_tokens, event.cost_usd)
    elif event.kind == "run_finished":
        state.set_usage(event.output.token_usage.total_tokens, event.cost_usd)
    elif event.kind == "human_input_received":
        state.give_feedback(event.feedback)
        recorder.text(event.task_index, (event.feedback or "(approved)") + "\n", "human_input")
