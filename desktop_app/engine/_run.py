"""One run of a crew: its texts filled, its start and end, and the events that bound it.

A run reads the crew, its agents and tasks through the protocols of `_specs` (this module
sits below `crew.py`, `task.py` and `agent.py`). It fills its own copies of the texts and
keeps its own usage, so runs of the same objects never see each other; the only writes are
CrewAI's "latest result" attributes, `Task.output` and `Crew.usage_metrics`, set at the end.

`execute` emits `RunStarted` first and one of `RunFinished`, `RunFailed`, `RunCancelled`
last; in between, `_run_tasks` runs the tasks. What the run owns is `_run_state`, whose
types are importable from here too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from desktop_app.engine import events as ev
from desktop_app.engine._approving import run_approvals
from desktop_app.engine._behaviours import behaviour_of
from desktop_app.engine._budget_run import BudgetStop, deadline, open_run_budget
from desktop_app.engine._delegation import delegation_coworkers
from desktop_app.engine._guardrails import call_user
from desktop_app.engine._interpolate import interpolate, render_inputs
from desktop_app.engine._planning import plan_tasks
from desktop_app.engine._rate_limit import crew_limiter
from desktop_app.engine._recall import run_with_recall
from desktop_app.engine._run_state import (
    Emit,
    PreparedAgent,
    PreparedTask,
    RunState,
    TaskMeta,
    new_run_id,
)
from desktop_app.engine._run_tasks import CONTEXT_DIVIDER, run_tasks
from desktop_app.engine._secrets_mask import mask
from desktop_app.engine._task_limits import RunLogFile
from desktop_app.engine._trace import Span
from desktop_app.engine._verbose import verbose_roles, with_printer
from desktop_app.engine.errors import TaskExecutionError, llm_error_kind
from desktop_app.engine.mcp import close_run_scope, open_run_scope, prepare_run
from desktop_app.engine.outputs import CrewOutput, TaskOutput
from desktop_app.engine.tools import BaseTool

if TYPE_CHECKING:
    from desktop_app.engine._specs import AgentSpec, CrewSpec, TaskSpec

__all__ = [
    "CONTEXT_DIVIDER",
    "Emit",
    "PreparedAgent",
    "PreparedTask",
    "RunState",
    "TaskMeta",
    "execute",
    "new_run_id",
    "prepare_tasks",
    "with_code_tools",
]


def prepare_tasks(crew: CrewSpec, inputs: Mapping[str, object] | None) -> list[PreparedTask]:
    """Fills every text of the crew for one run.

    Raises:
        MissingInputError: A placeholder has no input; names it and where it is.
    """
    rendered = render_inputs(inputs)
    agents: dict[int, PreparedAgent] = {}
    positions = {id(task): index for index, task in enumerate(crew.tasks)}
    limiter = crew_limiter(crew.max_rpm)

    def prepared(agent: AgentSpec) -> PreparedAgent:
        if id(agent) not in agents:
            agents[id(agent)] = _prepare_agent(agent, rendered)
            agents[id(agent)].behaviour = behaviour_of(crew, agent, limiter)
        return agents[id(agent)]

    tasks: list[PreparedTask] = []
    for index, task in enumerate(crew.tasks):
        label = f"task '{task.name}'" if task.name else f"task {index + 1}"
        description = interpolate(task.description, rendered, f"{label} description")
        expected = interpolate(task.expected_output, rendered, f"{label} expected_output")
        output_file = task.output_file and interpolate(
            task.output_file, rendered, f"{label} output_file"
        )
        agent = prepared(crew.agent_for(task))
        if task.tools:
            agent = replace(agent, tools=with_code_tools(task.tools, crew.agent_for(task)))
        coworkers = delegation_coworkers(crew, task)
        tasks.append(
            PreparedTask(
                index=index,
                name=task.name,
                description=description,
                expected_output=expected,
                agent=agent,
                context_indexes=_context_indexes(task, positions),
                source=task,
                output_file=output_file,
                coworkers=None if coworkers is None else [prepared(a) for a in coworkers],
                own_agent_role=prepared(task.agent).role if task.agent is not None else "",
            )
        )
    return tasks


def _prepare_agent(agent: AgentSpec, rendered: Mapping[str, str]) -> PreparedAgent:
    where = f"agent '{agent.role}'"
    return PreparedAgent(
        role=interpolate(agent.role, rendered, f"{where} role"),
        goal=interpolate(agent.goal, rendered, f"{where} goal"),
        backstory=interpolate(agent.backstory, rendered, f"{where} backstory"),
        llm=agent.resolved_llm(),
        tools=agent.all_tools(),
        max_iter=agent.max_iter,
        max_execution_time=agent.max_execution_time,
        max_retry_limit=agent.max_retry_limit,
        inject_date=agent.inject_date,
        date_format=agent.date_format,
        step_callback=agent.step_callback,
    )


def with_code_tools(tools: Sequence[BaseTool], agent: AgentSpec) -> list[BaseTool]:
    """A task's own tools (which replace its agent's, as CrewAI), plus the code interpreter
    when the agent may run code."""
    return [*tools, *agent.all_tools()[len(agent.tools) :]]


def _context_indexes(task: TaskSpec, positions: Mapping[int, int]) -> list[int] | None:
    if task.context is None:
        return None
    return [positions[id(other)] for other in task.context if id(other) in positions]


async def execute(
    crew: CrewSpec, inputs: Mapping[str, object] | None, state: RunState
) -> CrewOutput:
    """Runs the crew's tasks and returns its output.

    Emits `RunStarted` first and exactly one of `RunFinished`, `RunFailed` or
    `RunCancelled` last (when someone listens), then returns or re-raises.
    """
    state.step_callback = crew.step_callback
    state.task_callback = crew.task_callback
    state.human_input_handler = crew.human_input_handler
    state.approvals = run_approvals(crew.approvals())
    if crew.output_log_file:
        state.log_file = RunLogFile(crew.output_log_file)
    roles = verbose_roles(crew.verbose, [(agent.role, agent.verbose) for agent in crew.agents])
    state.emit = with_printer(state.emit, roles)
    servers = open_run_scope()  # the run's MCP connections, closed when it ends
    try:
        with Span(state, "run", crew.display_name()) as span:
            result = await _kickoff_body(crew, inputs, state, servers)
            span.input_tokens, span.output_tokens = (
                state.usage.prompt_tokens, state.usage.completion_tokens
            )
            span.cost_usd = state.cost_usd
    except asyncio.CancelledError:
        state.send(ev.RunCancelled(run_id=state.run_id))
        raise
    except BudgetStop as stop:  # a budget was used up: a clean stop, the partial output kept
        exceeded = state.budget.exceeded(stop) if state.budget else None
        state.send(ev.RunCancelled(run_id=state.run_id, reason="budget", message=str(stop)))
        if exceeded is None:
            raise
        raise exceeded from None
    except Exception as exc:
        state.send(_failure_event(state.run_id, exc))
        raise
    finally:
        await close_run_scope(servers)
    state.send(ev.RunFinished(run_id=state.run_id, output=result, cost_usd=state.cost_usd))
    return result


async def _kickoff_body(
    crew: CrewSpec, inputs: Mapping[str, object] | None, state: RunState, servers: Any
) -> CrewOutput:
    """The run's work inside its trace span: callbacks, MCP tools, planning and tasks."""
    await open_run_budget(crew.budget_plan(), state)
    for before in crew.before_kickoff_callbacks:
        inputs = await call_user(before, dict(inputs or {}))
    await prepare_run(servers[0], crew.agents, crew.tasks)
    tasks = prepare_tasks(crew, inputs)
    if state.listening() is not None:  # nobody listens: no events built (1,000 crews)
        _send_start(crew, tasks, inputs, state)
    tasks = await plan_tasks(crew, tasks, state)
    async with deadline(state):
        result = _crew_output(await run_with_recall(crew, tasks, state, run_tasks), state)
    crew.usage_metrics = result.token_usage.model_copy()
    for after in crew.after_kickoff_callbacks:
        result = await call_user(after, result)
    return result


def _send_start(
    crew: CrewSpec, tasks: list[PreparedTask], inputs: Mapping[str, object] | None,
    state: RunState,
) -> None:
    """`RunStarted`, then a `SettingIgnored` per setting of the crew CrewDesk does not act on."""
    state.send(ev.RunStarted(
        run_id=state.run_id,
        crew_name=crew.display_name(),
        task_count=len(tasks),
        inputs=dict(inputs or {}),
    ))
    for ignored in crew.all_ignored_settings():
        state.send(ev.SettingIgnored(
            run_id=state.run_id,
            owner=ignored.owner,
            setting=ignored.setting,
            message=ignored.message,
        ))


def _crew_output(outputs: list[TaskOutput], state: RunState) -> CrewOutput:
    answered = [output for output in outputs if output.raw] or outputs  # skips skipped, as CrewAI
    last = answered[-1] if answered else None
    return CrewOutput(
        raw=last.raw if last else "",
        tasks_output=outputs,
        token_usage=state.usage.model_copy(),
        json_dict=last.json_dict if last else None,
        pydantic=last.pydantic if last else None,
    )



def _failure_event(run_id: str, exc: Exception) -> ev.RunFailed:
    task_error = exc if isinstance(exc, TaskExecutionError) else None
    return ev.RunFailed(
        run_id=run_id,
        error=mask(str(exc)),
        error_type=type(task_error.cause if task_error else exc).__name__,
        task_index=task_error.task_index if task_error else None,
        agent_role=task_error.agent_role if task_error else None,
        error_kind=llm_error_kind(exc),
    )
