"""Which flow step the current code runs in, so crews kicked off there report to their flow.

A flow (`engine.flow`) sets `current step` around each step it runs (a `ContextVar`, so it
follows the step into `asyncio.to_thread` and into the tasks the step starts). `Crew` reads it
when a run begins: the flow hears of the crew (its step tags the crew's events), adds the
crew's usage to its own when the crew ends, and a blocking `kickoff()` inside a sync step
stops at its next chunk when the flow is cancelled (`cancel`). Outside a flow this costs one
`ContextVar.get`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from desktop_app.engine.outputs import UsageMetrics

__all__ = ["FlowStep", "current", "inside", "tracked"]

T = TypeVar("T")


@dataclass(frozen=True)
class FlowStep:
    """One running step of a flow, as the crews it starts see it.

    Attributes:
        flow_run_id: The flow run's id.
        method: The step's method name.
        crew_started: Called with `(crew_run_id, crew_name)` when a crew's run begins.
        crew_ended: Called with `(crew_run_id, usage, cost_usd)` when it ends, however.
        cancel: Set when the flow is cancelled; blocking crew runs poll it.
    """

    flow_run_id: str
    method: str
    crew_started: Callable[[str, str], None]
    crew_ended: Callable[[str, UsageMetrics, float | None], None]
    cancel: threading.Event = field(default_factory=threading.Event)


_STEP: ContextVar[FlowStep | None] = ContextVar("crewdesk_flow_step", default=None)


def current() -> FlowStep | None:
    """The flow step the caller runs in, or None outside any flow."""
    return _STEP.get()


@contextmanager
def inside(step: FlowStep) -> Iterator[None]:
    """Makes `step` the current step for the block (and what it starts)."""
    token = _STEP.set(step)
    try:
        yield
    finally:
        _STEP.reset(token)


class RunUsage(Protocol):
    """What `tracked` reads of a crew's run state (`_run_state.RunState` has it)."""

    @property
    def run_id(self) -> str: ...  # noqa: D102 - the protocol's fields
    @property
    def usage(self) -> UsageMetrics: ...  # noqa: D102
    @property
    def cost_usd(self) -> float | None: ...  # noqa: D102
    @property
    def lock(self) -> threading.Lock: ...  # noqa: D102


async def tracked(
    run: Coroutine[Any, Any, T], step: FlowStep | None, state: RunUsage, crew_name: str
) -> T:
    """Awaits a crew's run, telling `step` (if any) when it starts and ends.

    Args:
        run: The crew's run.
        step: The flow step it was kicked off in (read by the caller, before any thread hop).
        state: The run's state, whose usage and cost are read when it ends.
        crew_name: The crew's name, as its events show it.
    """
    if step is None:
        return await run
    step.crew_started(state.run_id, crew_name)
    try:
        return await run
    finally:
        with state.lock:
            spent, cost = state.usage.model_copy(), state.cost_usd
        step.crew_ended(state.run_id, spent, cost)
