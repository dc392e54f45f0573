"""An agent's CrewAI behaviour settings, resolved once per run, and one-off LLM calls.

`AgentBehaviour` is what a run's `PreparedAgent` carries of the agent's `max_rpm`,
`function_calling_llm`, `reasoning` and `respect_context_window` (with the crew's
`max_rpm` and `function_calling_llm` as CrewAI's fallbacks). `call_aside` is the LLM call
that planning, reasoning, context summaries and tool-call repair make outside a task's
conversation: it obeys the run's blocking mode and rate limit and counts in its usage.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop_app.engine import events as ev
from desktop_app.engine._rate_limit import RateLimiter, limiter_for
from desktop_app.engine.llm import LLM, LLMResult, Message

if TYPE_CHECKING:
    from desktop_app.engine._run_state import RunState, TaskMeta
    from desktop_app.engine._specs import AgentSpec, CrewSpec


@dataclass(frozen=True, slots=True)
class AgentBehaviour:
    """What an agent's settings ask of one run.

    Attributes:
        limiter: The requests-per-minute limit it obeys (its own, else the crew's), or None.
        function_calling_llm: Repairs its tool calls that do not parse (its own, else the
            crew's); see `_function_calling`.
        reasoning: Plan before each task: `Agent(reasoning=True)`, or `Agent(planning=True)`
            (CrewAI: one low-effort plan, `max_attempts=1`).
        max_reasoning_attempts: Most plans made before it goes on (None: until ready, capped).
        respect_context_window: Summarize the conversation when the model says it is too long.
        allow_delegation: Gets the coworker tools in a sequential crew.
    """

    limiter: RateLimiter | None = None
    function_calling_llm: LLM | None = None
    reasoning: bool = False
    max_reasoning_attempts: int | None = None
    respect_context_window: bool = True
    allow_delegation: bool = False


def behaviour_of(
    crew: CrewSpec, agent: AgentSpec, crew_limiter: RateLimiter | None
) -> AgentBehaviour:
    """The behaviour of `agent` in a run of `crew` (CrewAI: the agent's settings win)."""
    return AgentBehaviour(
        limiter=limiter_for(agent.max_rpm, crew_limiter),
        function_calling_llm=as_llm(agent.function_calling_llm or crew.function_calling_llm),
        reasoning=bool(agent.reasoning or agent.planning),
        max_reasoning_attempts=agent.max_reasoning_attempts if agent.reasoning else 1,
        respect_context_window=bool(agent.respect_context_window),
        allow_delegation=bool(agent.allow_delegation),
    )


def as_llm(value: LLM | str | None) -> LLM | None:
    """An `LLM` from a setting that may be a model string."""
    if value is None or isinstance(value, LLM):
        return value
    return LLM(model=str(value))


def with_options(llm: LLM, **options: Any) -> LLM:
    """A copy of `llm` that sends `options` (e.g. `response_format`) with every request."""
    made = copy.copy(llm)
    made.extra = {**llm.extra, **options}
    return made


async def call_aside(
    llm: LLM,
    messages: Sequence[Message],
    state: RunState,
    *,
    meta: TaskMeta | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    limiter: RateLimiter | None = None,
) -> LLMResult:
    """One LLM call outside a task's conversation; its text is not streamed.

    Blocking on the `kickoff` path (the run's own thread), awaited otherwise. Its usage is
    added to the run's; with `meta`, a `UsageUpdated` event reports the new totals.
    """
    if limiter is not None:
        await limiter.wait_turn(state.cancelled)
    if state.blocking:
        result = llm.call(messages, tools=tools, cancelled=state.cancelled)
    else:
        result = await llm.acall(messages, tools=tools)
    add_usage(state, result, meta)
    return result


def add_usage(state: RunState, result: LLMResult, meta: TaskMeta | None) -> None:
    """Adds a call's usage and cost to the run's; reports them when `meta` is given."""
    with state.lock:
        state.usage.add(result.usage)
        if result.cost_usd is not None:
            state.cost_usd = (state.cost_usd or 0.0) + result.cost_usd
        usage, cost = state.usage.model_copy(), state.cost_usd
    if meta is not None:
        state.send(ev.UsageUpdated(usage=usage, cost_usd=cost, **meta))
