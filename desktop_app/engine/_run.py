"""One run of a crew: its own state, its tasks in order, and its events.

A run reads the crew, its agents and tasks through the protocols of `_specs` (this module
sits below `crew.py`, `task.py` and `agent.py`). It fills its own copies of the texts and
keeps its own usage, so runs of the same objects never see each other; the only writes are
CrewAI's "latest result" attributes, `Task.output` and `Crew.usage_metrics`, set at the end.

Tasks run in order; a task with `async_execution=True` starts and the run goes on to the
next task at once. A task waits only for the earlier tasks whose output it reads (its
`context`; every earlier task when it has none, or only the finished ones for an async
task), and the run waits for every task before it ends. On the blocking path (`kickoff`),
where LLM calls block the run's private loop, an async task runs on a private loop of its
own in a worker thread, as CrewAI runs it in a thread.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypedDict

from pydantic import BaseModel

from desktop_app.engine import bus
from desktop_app.engine import events as ev
from desktop_app.engine._agent_loop import AgentLoop, AgentStep, build_messages
from desktop_app.engine._approving import run_approvals
from desktop_app.engine._behaviours import AgentBehaviour, behaviour_of
from desktop_app.engine._budget_run import BudgetStop, RunBudget, deadline, open_run_budget
from desktop_app.engine._conditional import is_conditional, skipped_unless_true
from desktop_app.engine._delegation import delegation_coworkers, with_coworker_tools
from desktop_app.engine._fork import reused_output
from desktop_app.engine._guardrails import call_user, finish_output
from desktop_app.engine._human_input import HumanInputHandler, review_with_human
from desktop_app.engine._interpolate import interpolate, render_inputs
from desktop_app.engine._planning import plan_tasks
from desktop_app.engine._rate_limit import crew_limiter
from desktop_app.engine._reasoning import with_reasoning
from desktop_app.engine._recall import run_with_recall
from desktop_app.engine._secrets_mask import mask
from desktop_app.engine._structured import OutputFormat, format_instructions, wanted_model
from desktop_app.engine._task_limits import (
    RunLogFile,
    expired_here,
    prompt_additions,
    run_with_limits,
    save_output,
)
from desktop_app.engine._trace import Span
from desktop_app.engine._verbose import verbose_roles, with_printer
from desktop_app.engine.approval import Approvals
from desktop_app.engine.errors import TaskExecutionError
from desktop_app.engine.llm import LLM
from desktop_app.engine.mcp import close_run_scope, open_run_scope, prepare_run
from desktop_app.engine.outputs import CrewOutput, TaskOutput, UsageMetrics
from desktop_app.engine.tools import BaseTool

if TYPE_CHECKING:
    from desktop_app.engine._recall_run import RunRecall
    from desktop_app.engine._specs import AgentSpec, CrewSpec, TaskSpec

Emit = Callable[[ev.RunEvent], None]

CONTEXT_DIVIDER = "\n\n----------\n\n"


class TaskMeta(TypedDict):
    """The fields every task event carries."""

    run_id: str
    task_index: int
    task_name: str | None
    agent_role: str


@dataclass(slots=True)
class PreparedAgent:
    """An agent's texts filled for one run."""

    role: str
    goal: str
    backstory: str
    llm: LLM
    tools: list[BaseTool]
    max_iter: int
    behaviour: AgentBehaviour = field(default_factory=AgentBehaviour)
    max_execution_time: float | None = None
    max_retry_limit: int = 0
    inject_date: bool = False
    date_format: str = "%Y-%m-%d"
    step_callback: Callable[..., Any] | None = None


@dataclass(slots=True)
class PreparedTask:
    """A task's texts filled for one run."""

    index: int
    name: str | None
    description: str
    expected_output: str
    agent: PreparedAgent
    context_indexes: list[int] | None
    source: TaskSpec
    output_file: str | None = None
    coworkers: list[PreparedAgent] | None = None
    own_agent_role: str = ""

    @property
    def output_format(self) -> OutputFormat:
        """"raw", "json" or "pydantic", from the task's output model."""
        return wanted_model(self.source.output_pydantic, self.source.output_json)[0]

    @property
    def output_model(self) -> type[BaseModel] | None:
        """The task's `output_pydantic` or `output_json` model."""
        return wanted_model(self.source.output_pydantic, self.source.output_json)[1]

    @property
    def guardrail(self) -> Callable[[TaskOutput], Any] | str | None:
        """The task's guardrail: a function, or a requirement for the model to check."""
        return self.source.guardrail

    @property
    def all_guardrails(self) -> list[Callable[[TaskOutput], Any] | str]:
        """The task's `guardrails`, then its `guardrail`, in the order CrewAI runs them."""
        many = self.source.guardrails
        listed = [many] if callable(many) or isinstance(many, str) else list(many or [])
        return [*listed, *([self.guardrail] if self.guardrail is not None else [])]

    @property
    def guardrail_max_retries(self) -> int:
        """How often a refused answer is asked for again."""
        return self.source.guardrail_max_retries


@dataclass(slots=True)
class RunState:
    """Everything one run owns.

    Attributes:
        run_id: Unique id of the run, on every event.
        emit: The run's own listener, or None. Events also go to the bus's subscribers
            (`desktop_app.engine.bus`); `send` gives them to both.
        blocking: True on the `kickoff` path: LLM calls and tools block this run's private
            loop (which serves this run alone) instead of awaiting.
        cancel_flag: Set from outside to stop a blocking run at its next chunk.
        step_callback: The crew's `step_callback`, called with each `AgentStep`.
        task_callback: The crew's `task_callback`, called with each `TaskOutput`.
        human_input_handler: The crew's `human_input_handler` (None: read stdin).
        stop_threads: Set when the run ends early, so async tasks in worker threads (the
            blocking path) stop at their next chunk.
        lock: Guards `usage` and `cost_usd`, which worker threads update too.
        recall: The run's memory and knowledge, when the crew has either.
        log_file: The crew's `output_log_file`, when it has one.
        approvals: The run's own copy of the crew's `Approvals` (`Crew.approvals()`), its
            workspace resolved; an approver's "always" turns its policy to "always".
        reuse: Outputs given to the run by task index (a fork or a resume, `_fork`): those
            tasks make no model call and their outputs are context for the later ones.
        budget: The run's budgets as it spends them (`_budget_run`), when its crew has any.
    """

    run_id: str
    emit: Emit | None
    blocking: bool = False
    cancel_flag: threading.Event | None = None
    usage: UsageMetrics = field(default_factory=UsageMetrics)
    cost_usd: float | None = None
    step_callback: Callable[[AgentStep], Any] | None = None
    task_callback: Callable[[TaskOutput], Any] | None = None
    human_input_handler: HumanInputHandler | None = None
    stop_threads: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    recall: RunRecall | None = None
    log_file: RunLogFile | None = None
    approvals: Approvals = field(default_factory=Approvals)
    reuse: Mapping[int, TaskOutput] = field(default_factory=dict)
    budget: RunBudget | None = None

    def cancelled(self) -> bool:
        """Whether a blocking run was asked to stop (or the task on this thread ran out of
        its `max_execution_time`)."""
        if self.stop_threads.is_set() or expired_here():
            return True
        return self.cancel_flag is not None and self.cancel_flag.is_set()

    def send(self, event: ev.RunEvent) -> None:
        """Gives `event` to the run's listener, if any, and to the bus's subscribers."""
        if self.emit is not None:
            self.emit(event)
        if bus.active():
            bus.publish(event)

    def listening(self) -> Emit | None:
        """Where events go now (the run's listener and the bus), or None when nobody listens,
        so that a run makes no per-chunk events for nobody."""
        if self.emit is None and not bus.active():
            return None
        return self.send


def new_run_id() -> str:
    """A fresh run id."""
    return uuid.uuid4().hex


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
        result = _crew_output(await run_with_recall(crew, tasks, state, _run_tasks), state)
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


async def _run_tasks(tasks: Sequence[PreparedTask], state: RunState) -> list[TaskOutput]:
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


def _failure_event(run_id: str, exc: Exception) -> ev.RunFailed:
    task_error = exc if isinstance(exc, TaskExecutionError) else None
    return ev.RunFailed(
        run_id=run_id,
        error=mask(str(exc)),
        error_type=type(task_error.cause if task_error else exc).__name__,
        task_index=task_error.task_index if task_error else None,
        agent_role=task_error.agent_role if task_error else None,
    )


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
