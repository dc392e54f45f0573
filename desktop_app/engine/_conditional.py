"""Conditional tasks in a run: whether one runs, and its output when it is skipped.

As CrewAI (`crewai.crews.utils.check_conditional_skip`): before a conditional task, every
earlier task finishes; its condition gets the output of the task just before it (a skipped
one's empty output included). A skipped task makes no LLM call, sends no `TaskStarted` or
`TaskFinished` (a `TaskSkipped` instead), calls no callback and keeps its `Task.output`; its
output is in the crew's `tasks_output`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from desktop_app.engine import events as ev
from desktop_app.engine._specs import ConditionalSpec
from desktop_app.engine.errors import TaskExecutionError
from desktop_app.engine.outputs import OutputFormat, TaskOutput

if TYPE_CHECKING:
    from desktop_app.engine._run_state import PreparedTask, RunState

__all__ = ["is_conditional", "skipped_unless_true", "skipped_output"]


def is_conditional(task: PreparedTask) -> bool:
    """Whether the task runs only on its condition.

    What `isinstance(task.source, ConditionalSpec)` answers for this one-method runtime
    protocol, without its cost (about 40 us per task in Python 3.11: a crew start's largest
    single item when 1,000 crews begin at once).
    """
    return getattr(task.source, "should_execute", None) is not None


def skipped_output(description: str, agent_role: str) -> TaskOutput:
    """CrewAI's output of a skipped conditional task (`get_skipped_task_output`)."""
    return TaskOutput(
        description=description,
        summary=" ".join(description.split(" ")[:10]) + "...",
        raw="",
        agent=agent_role,
        output_format=OutputFormat.RAW,
    )


async def skipped_unless_true(
    task: PreparedTask, earlier: Sequence[asyncio.Future[TaskOutput]], state: RunState
) -> TaskOutput | None:
    """Waits for every earlier task, then asks the task's condition: None when the task runs,
    else its skipped output (and a `TaskSkipped` event).

    Raises:
        TaskExecutionError: The condition failed (or the task has none).
    """
    outputs = [await job for job in earlier]
    source = task.source
    assert isinstance(source, ConditionalSpec)
    try:
        runs = not outputs or source.should_execute(outputs[-1])
    except Exception as exc:
        raise TaskExecutionError(task.index, task.name, task.agent.role, exc) from exc
    if runs:
        return None
    state.send(ev.TaskSkipped(
        run_id=state.run_id,
        task_index=task.index,
        task_name=task.name,
        agent_role=task.agent.role,
        description=task.description,
    ))
    return skipped_output(task.description, task.own_agent_role)
