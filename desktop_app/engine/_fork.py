"""Runs that start from a task: the outputs of the tasks before it are given, not made again.

A fork (run task N again, with a changed description, model or inputs) and a resume (go on
after a crash from the first unfinished task) both hand the run the stored outputs of the
tasks before the one they start from (`RunState.reuse`, by task index). Such a task makes no
model call, calls no callback, and sends one `TaskFinished` marked `reused` (no
`TaskStarted`), so that listeners (the run history) keep its output with the new run's; its
output is the context of the later tasks as if it had just been produced.

`Crew.replay(task_id)`, CrewAI's "run again from this task of the latest run", is the same
thing with the outputs of the latest run kept on the tasks (`Task.output`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from desktop_app.engine import events as ev
from desktop_app.engine.outputs import TaskOutput

if TYPE_CHECKING:
    from desktop_app.engine._run_state import PreparedTask, RunState
    from desktop_app.engine._specs import TaskSpec

__all__ = ["check_reuse", "replay_outputs", "reused_output"]


async def reused_output(task: PreparedTask, output: TaskOutput, state: RunState) -> TaskOutput:
    """The given output of `task`, announced as a reused `TaskFinished`; nothing runs."""
    task.source.__dict__["output"] = output  # CrewAI's Task.output: the latest run's
    state.send(ev.TaskFinished(
        run_id=state.run_id, task_index=task.index, task_name=task.name,
        agent_role=task.agent.role, output=output, reused=True,
    ))
    return output


def check_reuse(task_count: int, reuse: Mapping[int, TaskOutput] | None) -> dict[int, TaskOutput]:
    """The outputs to reuse, checked against the crew's tasks.

    Raises:
        ValueError: An index is not a task of the crew, or every task would be reused
            (nothing would run); names the index.
    """
    given = dict(reuse or {})
    wrong = sorted(index for index in given if not 0 <= index < task_count)
    if wrong:
        raise ValueError(
            f"cannot reuse the output of task {wrong[0] + 1}: the crew has {task_count} "
            f"task{'s' if task_count != 1 else ''}"
        )
    if task_count and len(given) == task_count:
        raise ValueError("every task's output is reused: at least one task must run")
    return given


def replay_outputs(tasks: Sequence[TaskSpec], task_id: str) -> dict[int, TaskOutput]:
    """What `Crew.replay(task_id)` reuses: the latest outputs of the tasks before that one.

    Raises:
        ValueError: No task has that id, or a task before it has no output yet (the crew
            has not run up to there); the message says which and what to do.
    """
    ids = [str(getattr(task, "id", "")) for task in tasks]
    if str(task_id) not in ids:
        raise ValueError(f"Task with id {task_id} not found in the crew's tasks.")
    start = ids.index(str(task_id))
    reuse: dict[int, TaskOutput] = {}
    for index, task in enumerate(tasks[:start]):
        output = getattr(task, "output", None)
        if not isinstance(output, TaskOutput):
            raise ValueError(
                f"cannot replay from task {start + 1}: task {index + 1} has no output from an "
                "earlier run. Run the crew with kickoff() first."
            )
        reuse[index] = output
    return reuse
