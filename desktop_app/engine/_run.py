"""One run of a crew: its own state, its tasks in order, and its events.

Nothing here writes to `Crew`, `Agent` or `Task` objects: each run fills its own copies of
the texts and keeps its own usage, so runs of the same objects never see each other.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from desktop_app.engine import events as ev
from desktop_app.engine._interpolate import interpolate, render_inputs
from desktop_app.engine.errors import CrewError, TaskExecutionError
from desktop_app.engine.llm import LLM, LLMResult, Message
from desktop_app.engine.outputs import CrewOutput, TaskOutput, UsageMetrics, parse_json_object
from desktop_app.engine.tools import BaseTool

if TYPE_CHECKING:
    from desktop_app.engine.agent import Agent
    from desktop_app.engine.crew import Crew
    from desktop_app.engine.task import Task

log = logging.getLogger("desktop_app.engine")

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


@dataclass(slots=True)
class PreparedTask:
    """A task's texts filled for one run."""

    index: int
    name: str | None
    description: str
    expected_output: str
    agent: PreparedAgent
    context_indexes: list[int] | None


@dataclass(slots=True)
class RunState:
    """Everything one run owns.

    Attributes:
        run_id: Unique id of the run, on every event.
        emit: Receives events, or None when nobody listens.
        blocking: True on the `kickoff` path: LLM calls and tools block this run's private
            loop (which serves this run alone) instead of awaiting.
        cancel_flag: Set from outside to stop a blocking run at its next chunk.
    """

    run_id: str
    emit: Emit | None
    blocking: bool = False
    cancel_flag: threading.Event | None = None
    usage: UsageMetrics = field(default_factory=UsageMetrics)
    cost_usd: float | None = None

    def cancelled(self) -> bool:
        """Whether a blocking run was asked to stop."""
        return self.cancel_flag is not None and self.cancel_flag.is_set()


def new_run_id() -> str:
    """A fresh run id."""
    return uuid.uuid4().hex


def prepare_tasks(crew: Crew, inputs: Mapping[str, object] | None) -> list[PreparedTask]:
    """Fills every text of the crew for one run.

    Raises:
        MissingInputError: A placeholder has no input; names it and where it is.
    """
    rendered = render_inputs(inputs)
    agents: dict[int, PreparedAgent] = {}
    positions = {id(task): index for index, task in enumerate(crew.tasks)}
    prepared = []
    for index, task in enumerate(crew.tasks):
        label = f"task '{task.name}'" if task.name else f"task {index + 1}"
        description = interpolate(task.description, rendered, f"{label} description")
        expected = interpolate(task.expected_output, rendered, f"{label} expected_output")
        agent = crew.agent_for(task)
        if id(agent) not in agents:
            agents[id(agent)] = _prepare_agent(agent, rendered)
        prepared.append(
            PreparedTask(
                index=index,
                name=task.name,
                description=description,
                expected_output=expected,
                agent=agents[id(agent)],
                context_indexes=_context_indexes(task, positions),
            )
        )
    return prepared


def _prepare_agent(agent: Agent, rendered: Mapping[str, str]) -> PreparedAgent:
    where = f"agent '{agent.role}'"
    return PreparedAgent(
        role=interpolate(agent.role, rendered, f"{where} role"),
        goal=interpolate(agent.goal, rendered, f"{where} goal"),
        backstory=interpolate(agent.backstory, rendered, f"{where} backstory"),
        llm=agent.resolved_llm(),
        tools=agent.all_tools(),
        max_iter=agent.max_iter,
    )


def _context_indexes(task: Task, positions: Mapping[int, int]) -> list[int] | None:
    if task.context is None:
        return None
    return [positions[id(other)] for other in task.context if id(other) in positions]


async def execute(
    crew: Crew, inputs: Mapping[str, object] | None, state: RunState
) -> CrewOutput:
    """Runs the crew's tasks in order and returns its output.

    Emits `RunStarted` first and exactly one of `RunFinished`, `RunFailed` or
    `RunCancelled` last (when someone listens), then returns or re-raises.
    """
    try:
        tasks = prepare_tasks(crew, inputs)
        _emit(state, ev.RunStarted(
            run_id=state.run_id,
            crew_name=crew.display_name(),
            task_count=len(tasks),
            inputs=dict(inputs or {}),
        ))
        outputs: list[TaskOutput] = []
        for task in tasks:
            outputs.append(await _execute_task(task, outputs, state))
    except asyncio.CancelledError:
        _emit(state, ev.RunCancelled(run_id=state.run_id))
        raise
    except Exception as exc:
        _emit(state, _failure_event(state.run_id, exc))
        raise
    final = outputs[-1].raw if outputs else ""
    result = CrewOutput(
        raw=final,
        tasks_output=outputs,
        token_usage=state.usage.model_copy(),
        json_dict=parse_json_object(final),
    )
    _emit(state, ev.RunFinished(run_id=state.run_id, output=result, cost_usd=state.cost_usd))
    return result


def _failure_event(run_id: str, exc: Exception) -> ev.RunFailed:
    task_error = exc if isinstance(exc, TaskExecutionError) else None
    return ev.RunFailed(
        run_id=run_id,
        error=str(exc),
        error_type=type(task_error.cause if task_error else exc).__name__,
        task_index=task_error.task_index if task_error else None,
        agent_role=task_error.agent_role if task_error else None,
    )


def _emit(state: RunState, event: ev.RunEvent) -> None:
    if state.emit is not None:
        state.emit(event)


async def _execute_task(
    task: PreparedTask, done: Sequence[TaskOutput], state: RunState
) -> TaskOutput:
    meta = TaskMeta(
        run_id=state.run_id, task_index=task.index, task_name=task.name, agent_role=task.agent.role
    )
    _emit(state, ev.TaskStarted(description=task.description, **meta))
    try:
        raw = await _AgentLoop(task, _context_text(task, done), state, meta).run()
    except (asyncio.CancelledError, TaskExecutionError):
        raise
    except Exception as exc:
        raise TaskExecutionError(task.index, task.name, task.agent.role, exc) from exc
    output = TaskOutput(
        description=task.description,
        name=task.name,
        expected_output=task.expected_output,
        summary=" ".join(task.description.split()[:10]) + "...",
        raw=raw,
        agent=task.agent.role,
        json_dict=parse_json_object(raw),
    )
    _emit(state, ev.TaskFinished(output=output, **meta))
    return output


def _context_text(task: PreparedTask, done: Sequence[TaskOutput]) -> str:
    if task.context_indexes is None:
        chosen = list(done)
    else:
        chosen = [done[i] for i in task.context_indexes if i < len(done)]
    return CONTEXT_DIVIDER.join(output.raw for output in chosen if output.raw)


def build_messages(task: PreparedTask, context: str) -> list[Message]:
    """The first two messages of a task: who the agent is, and what to do."""
    agent = task.agent
    system = f"You are {agent.role}. {agent.backstory}\nYour personal goal is: {agent.goal}"
    if agent.tools:
        system += "\nUse the tools you have when they help; call them with valid arguments."
    user = (
        f"Current Task: {task.description}\n\n"
        f"This is the expected criteria for your final answer: {task.expected_output}\n"
        "You MUST return the actual complete content as the final answer, not a summary."
    )
    if context:
        user += f"\n\nThis is the context you're working with:\n{context}"
    user += "\n\nBegin! This is VERY important to you, give your best Final Answer."
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class _AgentLoop:
    """An agent working on one task: LLM calls and tool calls until a final answer."""

    def __init__(
        self, task: PreparedTask, context: str, state: RunState, meta: TaskMeta
    ) -> None:
        self._task = task
        self._state = state
        self._meta = meta
        self._messages = build_messages(task, context)
        self._tools = {tool.function_name(): tool for tool in task.agent.tools}
        self._schemas = [tool.openai_schema() for tool in task.agent.tools] or None

    async def run(self) -> str:
        for _ in range(self._task.agent.max_iter):
            result = await self._call_llm(self._schemas)
            if not result.tool_calls:
                return result.text
            self._messages.append(_assistant_message(result))
            for call in result.tool_calls:
                await self._use_tool(call.id, call.name, call.arguments)
        self._messages.append({
            "role": "user",
            "content": "You have reached the limit of tool calls. Give your final answer now.",
        })
        return (await self._call_llm(None)).text

    async def _call_llm(self, tools: list[dict[str, Any]] | None) -> LLMResult:
        llm = self._task.agent.llm
        on_text = self._text_sink()
        if self._state.blocking:
            result = llm.call(
                self._messages, tools=tools, on_text=on_text, cancelled=self._state.cancelled
            )
        else:
            result = await llm.acall(self._messages, tools=tools, on_text=on_text)
        self._add_usage(result)
        return result

    def _text_sink(self) -> Callable[[str], None] | None:
        emit = self._state.emit
        if emit is None:
            return None
        meta = self._meta
        return lambda text: emit(ev.TextDelta(content=text, **meta))

    def _add_usage(self, result: LLMResult) -> None:
        state = self._state
        state.usage.add(result.usage)
        if result.cost_usd is not None:
            state.cost_usd = (state.cost_usd or 0.0) + result.cost_usd
        _emit(state, ev.UsageUpdated(
            usage=state.usage.model_copy(), cost_usd=state.cost_usd, **self._meta
        ))

    async def _use_tool(self, call_id: str, name: str, arguments: str) -> None:
        _emit(self._state, ev.ToolCallStarted(
            call_id=call_id, tool_name=name, arguments=arguments, **self._meta
        ))
        output, is_error = await self._run_tool(name, arguments)
        _emit(self._state, ev.ToolCallFinished(
            call_id=call_id, tool_name=name, output=output, is_error=is_error, **self._meta
        ))
        self._messages.append({"role": "tool", "tool_call_id": call_id, "content": output})

    async def _run_tool(self, name: str, arguments: str) -> tuple[str, bool]:
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self._tools) or "none"
            return f"Error: there is no tool named '{name}'. Tools you have: {known}.", True
        try:
            kwargs = tool.parse_arguments(arguments)
            if self._state.blocking:
                value = tool.run(**kwargs)
            else:
                value = await tool.arun(**kwargs)
        except (asyncio.CancelledError, CrewError):
            raise
        except Exception as exc:  # noqa: BLE001 - a tool's failure goes back to the model
            log.info("tool %s failed: %s", name, exc)
            return f"Error: the tool '{name}' failed: {exc}", True
        return str(value), False


def _assistant_message(result: LLMResult) -> Message:
    return {
        "role": "assistant",
        "content": result.text or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in result.tool_calls
        ],
    }
