"""An agent working on one task: LLM calls and tool calls until a final answer.

The loop keeps the task's conversation, so the engine can ask the same agent again (a
guardrail said no, or the answer did not fit the task's output model) with what went wrong.

A task with an output model asks the provider for it (`response_format`) on the calls that
offer no tools, as CrewAI 1.15: every call of an agent without tools, the forced answer after
`max_iter`, and the format retry (which plays the part of CrewAI's converter call). Calls that
offer tools leave it out, as CrewAI does and as some providers require.

Before a tool call with side effects runs, the run's approvals are asked (`_approving`); a
refused call goes back to the model as the call's error.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from desktop_app.engine import events as ev
from desktop_app.engine._approving import approve_call
from desktop_app.engine._behaviours import with_options
from desktop_app.engine._budget_run import charged_call
from desktop_app.engine._context_window import call_fitting
from desktop_app.engine._function_calling import repaired_call
from desktop_app.engine._secrets_mask import mask
from desktop_app.engine._structured import response_format
from desktop_app.engine._tool_paths import file_scope
from desktop_app.engine._trace import Span, masked_messages
from desktop_app.engine.errors import CrewError
from desktop_app.engine.llm import LLMResult, Message

if TYPE_CHECKING:
    from desktop_app.engine._run_state import PreparedTask, RunState, TaskMeta
    from desktop_app.engine.tools import BaseTool

log = logging.getLogger("desktop_app.engine")


class AgentStep(BaseModel):
    """One step of an agent, as `Crew(step_callback=...)` receives it.

    Attributes:
        kind: "tool_result" after a tool call, "final_answer" when the agent answers.
        task_index: The task's position in the crew.
        agent_role: The agent's role.
        output: The tool's output or the answer.
        tool_name: The tool called (tool results only).
        tool_input: The tool's JSON arguments (tool results only).
        is_error: Whether the tool failed.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["tool_result", "final_answer"]
    task_index: int
    agent_role: str
    output: str
    tool_name: str | None = None
    tool_input: str | None = None
    is_error: bool = False


StepSink = Callable[[AgentStep], Awaitable[None]]


def build_messages(
    task: PreparedTask, context: str, instructions: str = "", recalled: str = ""
) -> list[Message]:
    """The first two messages of a task: who the agent is, and what to do (with what memory
    and knowledge recalled for it)."""
    agent = task.agent
    system = f"You are {agent.role}. {agent.backstory}\nYour personal goal is: {agent.goal}"
    if agent.tools:
        system += "\nUse the tools you have when they help; call them with valid arguments."
    user = (
        f"Current Task: {task.description}\n\n"
        f"This is the expected criteria for your final answer: {task.expected_output}\n"
        "You MUST return the actual complete content as the final answer, not a summary."
    )
    if instructions:
        user += f"\n{instructions}"
    if context:
        user += f"\n\nThis is the context you're working with:\n{context}"
    if recalled:
        user += f"\n\n{recalled}"
    user += "\n\nBegin! This is VERY important to you, give your best Final Answer."
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class AgentLoop:
    """An agent working on one task (its own conversation, tools and usage reports)."""

    def __init__(
        self,
        task: PreparedTask,
        messages: list[Message],
        state: RunState,
        meta: TaskMeta,
        on_step: StepSink | None = None,
    ) -> None:
        self._task = task
        self._state = state
        self._meta = meta
        self._on_step = on_step
        self._messages = messages
        self._tools = {tool.function_name(): tool for tool in task.agent.tools}
        self._uses: dict[str, int] = {}
        self._schemas = [tool.openai_schema() for tool in task.agent.tools] or None
        model = task.output_model
        self._format = response_format(model) if model is not None else None
        self._last_answer = ""

    async def run(self) -> str:
        """Works until a final answer, forcing one after `max_iter` rounds of tool calls."""
        for _ in range(self._task.agent.max_iter):
            result = await self._call_llm(self._schemas)
            if not result.tool_calls:
                return await self._answered(result.text)
            answer = await self._use_tools(result)
            if answer is not None:
                return await self._answered(answer)
        self._messages.append({
            "role": "user",
            "content": "You have reached the limit of tool calls. Give your final answer now.",
        })
        return await self._answered((await self._call_llm(None)).text)

    @property
    def run_state(self) -> RunState:
        """The run the agent works in (for the spans of checks made around it)."""
        return self._state

    @property
    def meta(self) -> TaskMeta:
        """The fields of the task's events."""
        return self._meta

    async def revise(self, feedback: str, *, use_tools: bool) -> str:
        """Tells the agent what was wrong with its last answer and returns its new answer."""
        self._messages.append({"role": "assistant", "content": self._last_answer})
        self._messages.append({"role": "user", "content": feedback})
        if use_tools:
            return await self.run()
        return await self._answered((await self._call_llm(None)).text)

    async def ask_aside(self, messages: list[Message]) -> str:
        """One LLM call of the agent's model outside the task's conversation (a check);
        its usage counts, its text is not streamed as the task's."""
        return (await self._call_llm(None, messages)).text

    async def _answered(self, text: str) -> str:
        self._last_answer = text
        await self._step(AgentStep(kind="final_answer", output=text, **self._step_meta()))
        return text

    def _step_meta(self) -> dict[str, Any]:
        return {"task_index": self._meta["task_index"], "agent_role": self._meta["agent_role"]}

    async def _step(self, step: AgentStep) -> None:
        if self._on_step is not None:
            await self._on_step(step)

    async def _call_llm(
        self, tools: list[dict[str, Any]] | None, aside: list[Message] | None = None
    ) -> LLMResult:
        if aside is None:
            agent, state, meta = self._task.agent, self._state, self._meta
            request = functools.partial(self._request, tools, None)
            result = await call_fitting(agent, self._messages, state, meta, request)
        else:
            result = await self._request(tools, aside)
        self._add_usage(result)
        return result

    async def _request(
        self, tools: list[dict[str, Any]] | None, aside: list[Message] | None
    ) -> LLMResult:
        """One call of the agent's model, after its `max_rpm` turn (see `_rate_limit`); a
        call of the task's conversation that offers no tools asks for its output model."""
        llm, limiter = self._task.agent.llm, self._task.agent.behaviour.limiter
        if self._format is not None and aside is None and not tools:
            llm = with_options(llm, response_format=self._format)
        if limiter is not None:
            await limiter.wait_turn(self._state.cancelled, f"agent '{self._task.agent.role}'")
        on_text = self._text_sink() if aside is None else None
        messages = self._messages if aside is None else aside
        with (
            Span(self._state, "llm", llm.model, self._meta) as span,
            charged_call(self._state, llm, messages, self._meta["task_index"], on_text) as fee,
        ):  # fee: the run's budgets meter each chunk and may stop the run (`_budget_run`)
            on_text = fee.on_text
            if self._state.blocking:
                result = llm.call(
                    messages, tools=tools, on_text=on_text, cancelled=self._state.cancelled
                )
            else:
                result = await llm.acall(messages, tools=tools, on_text=on_text)
            fee.settled(result)
            if span.active:
                _describe_call(span, llm.model, messages, tools, result)
        return result

    def _text_sink(self) -> Callable[[str], None] | None:
        emit = self._state.listening()
        if emit is None:
            return None
        meta = self._meta
        return lambda text: emit(ev.TextDelta(content=text, **meta))

    def _add_usage(self, result: LLMResult) -> None:
        state = self._state
        listening = state.listening() is not None  # else no copy and no event for nobody
        with state.lock:
            state.usage.add(result.usage)
            if result.cost_usd is not None:
                state.cost_usd = (state.cost_usd or 0.0) + result.cost_usd
            if not listening:
                return
            usage, cost = state.usage.model_copy(), state.cost_usd
        state.send(ev.UsageUpdated(usage=usage, cost_usd=cost, **self._meta))

    async def _use_tools(self, result: LLMResult) -> str | None:
        """Runs the model's tool calls in order; returns the output of the first call of a
        `result_as_answer` tool that succeeds (the calls after it do not run, and the
        conversation keeps only the calls that ran), else None."""
        message = _assistant_message(result)
        self._messages.append(message)
        for position, call in enumerate(result.tool_calls):
            output, is_error, tool = await self._use_tool(call.id, call.name, call.arguments)
            if tool is not None and tool.result_as_answer and not is_error:
                message["tool_calls"] = message["tool_calls"][: position + 1]
                return output
        return None

    async def _use_tool(
        self, call_id: str, name: str, arguments: str
    ) -> tuple[str, bool, BaseTool | None]:
        """Runs one tool call, with its events and step; returns its output, whether it
        failed, and the tool that ran (None when there is no such tool).

        Known keys are masked in the output before it is shown, stored or sent to the model.
        """
        with Span(self._state, "tool", name, self._meta) as span:
            self._state.send(ev.ToolCallStarted(
                call_id=call_id, tool_name=name, arguments=arguments, **self._meta
            ))
            output, is_error, tool = await self._run_tool(call_id, name, arguments)
            output = mask(output)
            if span.active:
                span.status = "error" if is_error else "ok"
                span.detail = {"call_id": call_id, "arguments": mask(arguments), "output": output}
            self._state.send(ev.ToolCallFinished(
                call_id=call_id, tool_name=name, output=output, is_error=is_error, **self._meta
            ))
        self._messages.append({"role": "tool", "tool_call_id": call_id, "content": output})
        await self._step(AgentStep(
            kind="tool_result", output=output, tool_name=name, tool_input=arguments,
            is_error=is_error, **self._step_meta(),
        ))
        return output, is_error, tool

    async def _run_tool(
        self, call_id: str, name: str, arguments: str
    ) -> tuple[str, bool, BaseTool | None]:
        name, arguments = await repaired_call(
            self._task.agent, self._tools, name, arguments, self._state, self._meta
        )
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self._tools) or "none"
            return f"Error: there is no tool named '{name}'. Tools you have: {known}.", True, None
        output, is_error = await self._call_tool(tool, call_id, name, arguments)
        return output, is_error, tool

    def _over_limit(self, tool: BaseTool, name: str) -> str | None:
        """CrewAI's error text when `tool` has reached its `max_usage_count` in this task
        execution (CrewAI also counts per task execution), else None."""
        limit, used = tool.max_usage_count, self._uses.get(name, 0)
        if limit is not None and used >= limit:
            return (
                f"Tool '{name}' has reached its usage limit of {limit} times and cannot be "
                "used anymore."
            )
        return None

    async def _call_tool(
        self, tool: BaseTool, call_id: str, name: str, arguments: str
    ) -> tuple[str, bool]:
        """Validates the call, asks for approval when the tool has side effects (a refused
        call counts as no use), and runs it."""
        try:
            kwargs = tool.parse_arguments(arguments)
            refused = self._over_limit(tool, name)
            if refused is not None:
                return refused, True
            refused, scope = await approve_call(tool, kwargs, call_id, self._state, self._meta)
            if refused is not None:
                return refused, True
            self._uses[name] = self._uses.get(name, 0) + 1
            with file_scope(scope):
                if self._state.blocking and not tool.awaits_natively():
                    value = tool.run(**kwargs)
                else:
                    value = await tool.arun(**kwargs)
        except (asyncio.CancelledError, CrewError):
            raise
        except Exception as exc:  # noqa: BLE001 - a tool's failure goes back to the model
            log.info("tool %s failed: %s", name, mask(str(exc)))
            return f"Error: the tool '{name}' failed: {exc}", True
        return str(value), False


def _describe_call(
    span: Span, model: str, messages: list[Message], tools: list[dict[str, Any]] | None,
    result: LLMResult,
) -> None:
    """Puts one LLM call's tokens, cost, and exact messages and answer (keys masked) on its
    span."""
    span.input_tokens = result.usage.prompt_tokens
    span.output_tokens = result.usage.completion_tokens
    span.cost_usd = result.cost_usd
    span.detail = {
        "model": model,
        "messages": masked_messages(messages),
        "answer": mask(result.text),
        "tool_calls": [
            {"id": call.id, "name": call.name, "arguments": mask(call.arguments)}
            for call in result.tool_calls
        ],
        "tools": [schema["function"]["name"] for schema in tools or ()],
        "finish_reason": result.finish_reason,
    }


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
