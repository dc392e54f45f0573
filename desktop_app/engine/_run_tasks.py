"""A run's tasks: started in order, async ones alongside, and each one executed.

Tasks run in order; a task with `async_execution=True` starts and the run goes on to the
next task at once. A task waits only for the earlier tasks whose output it reads (its
`context`; every earlier task when it has none, or only the finished ones for an async
task), and the run waits for every task before it ends. On the blocking path (`kickoff`),
where LLM calls block the run's private loop, an async task runs on a private loop of its
own in a worker thread, as CrewAI runs it in a thread.

One task's execution: `TaskStarted`, its agent's loop within the task's limits (reasoning,
recall, output format), guardrails, human review, `output_file`, then `TaskFinished` and the
callbacks; a failure becomes a `TaskExecutionError` naming the task and its agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from desktop_app.engine import events as ev
from desktop_app.engine._agent_loop import AgentLoop, AgentStep, build_messages
from desktop_app.engine._conditional import is_conditional, skipped_unless_true
from desktop_app.engine._delegation import with_coworker_tools
from desktop_app.engine._fork import reused_output
from desktop_app.engine._guardrails import call_user, finish_output
from desktop_app.engine._human_input import review_with_human
from desktop_app.engine._reasoning import with_reasoning
from desktop_app.engine._run_state import PreparedAgent, PreparedTask, RunState, TaskMeta
from desktop_app.engine._structured import format_instructions
from desktop_app.engine._task_limits import prompt_additions, run_with_limits, save_output
from desktop_app.engine._trace import Span
from desktop_app.engine.errors import TaskExecutionError
from desktop_app.engine.outputs import TaskOutput

CONTEXT_DIVIDER = "\n\n----------\n\n"


async def run_tasks(tasks: Sequence[PreparedTask], state: RunState) -> list[TaskOutput]:
    """Runs the tasks in order, async ones alongside; owns (and on failure cancels) them all."""
    started: dict[int, asyncio.Task[TaskOutput]] = {}
    try:
        for task in tasks:
            needed = _needed(task, started)
            if task.index in state.reuse:
                job = asyncio.ensure_future(reused_output(task, state.reuse[task.index], state))
            elif is_conditional(task):
                earlier = [started[index] for index in sorted(started)]
                job = asyncio.ensure_future(_execute_conditional(task, needed, earlier, state))
            else:
                in_thread = state.blocking and task.source.async_execution
                runner = _execute_in_thread if in_thread else _execute_task
                job = asyncio.ensure_future(runner(task, needed, state))
            started[task.index] = job
            if not task.source.async_execution:
                await _await_watching(job, started)
        return [await _await_watching(started[task.index], started) for task in tasks]
    except BaseException:
        state.stop_threads.set()
        for job in started.values():
            job.cancel()
        await asyncio.gather(*started.values(), return_exceptions=True)
        raise


def _needed(
    task: PreparedTask, started: Mapping[int, asyncio.Task[TaskOutput]]
) -> list[asyncio.Task[TaskOutput]]:
    """The earlier tasks whose outputs `task` reads, in order."""
    if task.context_indexes is not None:
        return [started[i] for i in task.context_indexes if i in started]
    earlier = [started[i] for i in sorted(started)]
    if task.source.async_execution:
        return [job for job in earlier if job.done()]
    return earlier


async def _await_watching(
    job: asyncio.Task[TaskOutput], started: Mapping[int, asyncio.Task[TaskOutput]]
) -> TaskOutput:
    """Awaits `job`, but raises at once when another task of the run fails meanwhile."""
    while not job.done():
        pending = {job, *(other for other in started.values() if not other.done())}
        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for other in started.values():
            error = other.exception() if other.done() and not other.cancelled() else None
            if error is not None:
                raise error
    return job.result()


async def _execute_in_thread(
    task: PreparedTask, needed: Sequence[asyncio.Task[TaskOutput]], state: RunState
) -> TaskOutput:
    """Runs a task of the blocking path on its own loop in a worker thread."""
    outputs = await _outputs_of(needed)
    return await asyncio.to_thread(lambda: asyncio.run(_task_body(task, outputs, state)))


async def _execute_task(
    task: PreparedTask, needed: Sequence[asyncio.Task[TaskOutput]], state: RunState
) -> TaskOutput:
    return await _task_body(task, await _outputs_of(needed), state)


async def _execute_conditional(
    task: PreparedTask,
    needed: Sequence[asyncio.Task[TaskOutput]],
    earlier: Sequence[asyncio.Task[TaskOutput]],
    state: RunState,
) -> TaskOutput:
    """A conditional task: skipped (logged as started, as CrewAI) when its condition is false."""
    skipped = await skipped_unless_true(task, earlier, state)
    if skipped is None:
        return await _execute_task(task, needed, state)
    await _log(state, task, "started")
    return skipped


async def _task_body(
    task: PreparedTask, context_outputs: Sequence[TaskOutput], state: RunState
) -> TaskOutput:
    context = CONTEXT_DIVIDER.join(out.raw for out in context_outputs if out.raw)
    on_step = _step_sink(state, task.agent)
    task = with_coworker_tools(task, state, on_step)
    meta = TaskMeta(
        run_id=state.run_id, task_index=task.index, task_name=task.name, agent_role=task.agent.role
    )
    state.send(ev.TaskStarted(description=task.description, **meta))
    await _log(state, task, "started")
    with Span(state, "task", task.name or f"Task {task.index + 1}", meta):
        try:
            loop, answer = await run_with_limits(
                task, state.blocking, lambda: _execute_once(task, context, state, meta, on_step)
            )
            output = await finish_output(task, loop, answer)
            if task.source.human_input:
                output = await review_with_human(task, loop, output, state, meta)
            if task.output_file:
                await asyncio.to_thread(
                    save_output, task.output_file, task.source.create_directory, output
                )
            if state.recall:
                await state.recall.after_task(task, output, meta)
        except (asyncio.CancelledError, TaskExecutionError):
            raise
        except Exception as exc:
            raise TaskExecutionError(task.index, task.name, task.agent.role, exc) from exc
    task.source.__dict__["output"] = output  # CrewAI's Task.output: the latest run's
    state.send(ev.TaskFinished(output=output, **meta))
    await _log(state, task, "completed", output=output.raw)
    if task.source.callback is not None:
        await call_user(task.source.callback, output)
    if state.task_callback is not None:
        await call_user(state.task_callback, output)
    return output


async def _execute_once(
    task: PreparedTask,
    context: str,
    state: RunState,
    meta: TaskMeta,
    on_step: Callable[[AgentStep], Any] | None,
) -> tuple[AgentLoop, str]:
    """One execution of the task by its agent, up to its first answer (what
    `max_retry_limit` runs again and `max_execution_time` limits); returns the loop, which
    guardrails and output models ask again."""
    task = await with_reasoning(task, state, meta)
    recalled = await state.recall.before_task(task, meta) if state.recall else ""
    model = task.output_model
    agent = task.agent
    instructions = "\n\n".join(part for part in (
        format_instructions(model) if model else "",
        prompt_additions(
            markdown=task.source.markdown,
            inject_date=agent.inject_date,
            date_format=agent.date_format,
        ),
    ) if part)
    messages = build_messages(task, context, instructions, recalled)
    loop = AgentLoop(task, messages, state, meta, on_step)
    return loop, await loop.run()


async def _log(state: RunState, task: PreparedTask, status: str, **more: str) -> None:
    """An entry of the crew's `output_log_file` (CrewAI's fields), written off the loop."""
    log_file = state.log_file
    if log_file is None:
        return
    role = task.source.agent.role if task.source.agent is not None else "None"
    await asyncio.to_thread(
        log_file.log, task_name=task.name, task=task.description, agent=role, status=status,
        **more,
    )


async def _outputs_of(jobs: Sequence[asyncio.Task[TaskOutput]]) -> list[TaskOutput]:
    return [await job for job in jobs]


def _step_sink(state: RunState, agent: PreparedAgent) -> Callable[[AgentStep], Any] | None:
    """Where the agent's steps go: its own `step_callback`, else the crew's (as CrewAI)."""
    callback = agent.step_callback or state.step_callback
    if callback is None:
        return None

    async def sink(step: AgentStep) -> None:
        await call_user(callback, step)

    return sink
