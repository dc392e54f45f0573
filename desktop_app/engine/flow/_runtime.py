"""One run of a flow: its steps in CrewAI 1.15's order, with events on the engine's bus.

The order follows CrewAI's `Flow` runtime: the kickoff starts run at once; after a step ends,
the routers it fires run one after another (each router's label can fire further routers),
then the listeners of the step and of each label run at once, and starts conditional on a
label run after them. `and_` waits until every part has fired (per listener, forgotten once
met); a multi-part `or_` fires once per cycle, re-armed when a step runs again (a loop through
a router). A step is called with the result of what fired it when it takes a parameter.

Sync steps run in a worker thread (`asyncio.to_thread` with the step's context), so a crew's
blocking `kickoff()` inside one works; async steps are awaited on the loop. Each step runs
inside a `FlowStep` scope (`engine._flow_scope`): crews it kicks off are announced with a
`FlowCrewStarted` event, their usage is summed into the flow's, and cancelling the flow stops a
blocking crew at its next chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from desktop_app.engine import bus
from desktop_app.engine import events as ev
from desktop_app.engine._flow_scope import FlowStep, inside
from desktop_app.engine.flow._dsl import condition_events, condition_met, is_multi_or
from desktop_app.engine.flow._feedback import HumanFeedbackResult, ask_feedback
from desktop_app.engine.flow._graph import FlowGraph, Step
from desktop_app.engine.outputs import UsageMetrics

__all__ = ["FlowRun", "describe"]

RESULT_LIMIT = 2000
THREAD_GRACE_S = 5.0
"""How long a cancelled flow waits for a sync step's thread to notice (its crew stops at its
next chunk; plain Python code cannot be stopped)."""


def describe(value: object) -> str:
    """A step's result as event text, cut to `RESULT_LIMIT` characters."""
    if isinstance(value, HumanFeedbackResult):
        value = value.outcome or value.output
    text = "" if value is None else str(getattr(value, "raw", value))
    return text if len(text) <= RESULT_LIMIT else text[:RESULT_LIMIT] + "…"


class FlowRun:
    """The bookkeeping of one kickoff: pending joins, fired `or_`s, outputs, usage.

    Args:
        flow: The Flow instance (its bound methods are the steps).
        graph: Its class's graph.
        run_id: This run's id, on every event.
        snapshot: Reads the flow's state as JSON-able values.
        after_step: Called (awaited) after each step, before its listeners: persistence.
        max_calls: How often one step may run in a run before it is called a loop.
    """

    def __init__(self, flow: Any, graph: FlowGraph, run_id: str,
                 snapshot: Callable[[], dict[str, Any]],
                 after_step: Callable[[str], Coroutine[Any, Any, None]],
                 max_calls: int = 100) -> None:
        self.flow = flow
        self.graph = graph
        self.run_id = run_id
        self.snapshot = snapshot
        self.after_step = after_step
        self.max_calls = max_calls
        self.outputs: list[tuple[str, Any]] = []
        self.usage = UsageMetrics()
        self.cost_usd: float | None = None
        self.failed_step: str | None = None
        self._pending: dict[str, set[str]] = {}
        self._fired_or: set[str] = set()
        self._completed: set[str] = set()
        self._calls: dict[str, int] = {}
        self._payloads: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._cancel = threading.Event()

    # --- what the crews in a step report -------------------------------------------

    def _crew_started(self, method: str) -> Callable[[str, str], None]:
        def started(crew_run_id: str, crew_name: str) -> None:
            bus.publish(ev.FlowCrewStarted(run_id=self.run_id, flow_name=self.graph.name,
                                           method=method, crew_run_id=crew_run_id,
                                           crew_name=crew_name))
        return started

    def _crew_ended(self, crew_run_id: str, usage: UsageMetrics, cost: float | None) -> None:
        with self._lock:
            self.usage.add(usage)
            if cost is not None:
                self.cost_usd = (self.cost_usd or 0.0) + cost

    def cancel_crews(self) -> None:
        """Stops the blocking crews of running sync steps at their next chunk."""
        self._cancel.set()

    # --- the order of steps --------------------------------------------------------

    async def run(self, trigger_payload: object = None) -> Any:
        """Runs the kickoff starts at once, and all that follows; returns the last output."""
        starts = self.graph.kickoff_starts
        await _all_at_once([self._start(name, trigger_payload) for name in starts])
        return self.outputs[-1][1] if self.outputs else None

    async def _start(self, name: str, trigger_payload: object = None) -> None:
        if name in self._completed:  # again in a loop: `or_`s fire again
            self._completed.discard(name)
            self._fired_or.clear()
        step = self.graph.steps[name]
        args: dict[str, Any] = {}
        if trigger_payload is not None and _accepts(self.flow, name, "crewai_trigger_payload"):
            args["crewai_trigger_payload"] = trigger_payload
        result = await self._call(step, (), args, None)
        if step.mark.router and result is not None:
            await self._after(name, result)
            self._payloads[_label(result)] = _payload(result)
            await self._after(_label(result), _payload(result))
        else:
            await self._after(name, result)

    async def _after(self, trigger: str, result: Any) -> None:
        """What runs once `trigger` fired with `result` (CrewAI's `_execute_listeners`)."""
        labels: list[str] = []
        ran: dict[str, set[str]] = {}
        current: str | None = trigger
        current_result = result
        while current:
            routers = self._triggered(current, routers=True)
            if not routers:
                break
            ran.setdefault(current, set()).update(routers)
            source = current
            for name in routers:
                out = await self._listener(name, current_result, source)
                if out is None:
                    current = None
                    continue
                current, current_result = _label(out), _payload(out)
                self._payloads[current] = current_result
                labels.append(current)
        for index, fired in enumerate([trigger, *labels]):
            if index > 0:
                self._rearm(fired)
            listeners = self._triggered(fired, routers=False)
            ran.setdefault(fired, set()).update(listeners)
            given = self._payloads.get(fired, fired) if index > 0 else result
            await _all_at_once([self._listener(name, given, fired) for name in listeners])
            if index > 0:
                for name in self._starts_on(fired, ran.get(fired, set())):
                    await self._start(name)

    def _triggered(self, fired: str, *, routers: bool) -> list[str]:
        found: list[str] = []
        for step in self.graph.listeners():
            condition = step.mark.listen
            assert condition is not None
            if step.mark.router != routers or fired not in condition_events(condition):
                continue
            once = is_multi_or(condition) and not routers
            if once and step.name in self._fired_or:
                continue
            if self._met(step.name, condition, fired):
                found.append(step.name)
                if once:
                    self._fired_or.add(step.name)
        return found

    def _met(self, key: str, condition: Any, fired: str) -> bool:
        seen = self._pending.setdefault(key, set())
        seen.add(fired)
        if not condition_met(condition, seen):
            return False
        del self._pending[key]
        return True

    def _starts_on(self, label: str, already: set[str]) -> list[str]:
        found = []
        for name in self.graph.starts:
            condition = self.graph.steps[name].start_condition
            if (condition is not None and name not in already
                    and label in condition_events(condition)
                    and self._met(f"start:{name}", condition, label)):
                found.append(name)
        return found

    def _rearm(self, label: str) -> None:
        for name in list(self._fired_or):
            condition = self.graph.steps[name].mark.listen
            if condition is not None and label in condition_events(condition):
                self._fired_or.discard(name)

    async def _listener(self, name: str, given: Any, fired: str) -> Any:
        count = self._calls.get(name, 0) + 1
        if count > self.max_calls:
            raise RecursionError(
                f"Method '{name}' has been called {self.max_calls} times in this flow "
                "execution, which indicates an infinite loop. This commonly happens when a "
                "@listen label matches the method's own name.")
        self._calls[name] = count
        if name in self._completed:
            self._completed.discard(name)
            self._fired_or.clear()
        step = self.graph.steps[name]
        out = await self._call(step, (given,) if step.takes_input else (), {}, fired)
        await self._after(name, out)
        return out

    # --- one step ---------------------------------------------------------------

    async def _call(self, step: Step, args: Sequence[Any], kwargs: dict[str, Any],
                    fired: str | None) -> Any:
        name = step.name
        self._publish(ev.FlowMethodStarted(run_id=self.run_id, flow_name=self.graph.name,
                                           method=name, trigger=fired, state=self.snapshot()))
        scope = FlowStep(self.run_id, name, self._crew_started(name), self._crew_ended,
                         self._cancel)
        method = getattr(self.flow, name)
        try:
            with inside(scope):
                if step.is_async:
                    result = await method(*args, **kwargs)
                else:
                    result = await _in_thread(method, args, kwargs, self._cancel)
                if asyncio.iscoroutine(result):  # a sync step that returned a coroutine
                    result = await result
            result = await self._reviewed(step, result)
            self._completed.add(name)
            await self.after_step(name)
        except Exception as exc:
            self.failed_step = self.failed_step or name
            self._publish(ev.FlowMethodFailed(
                run_id=self.run_id, flow_name=self.graph.name, method=name,
                error=str(exc) or type(exc).__name__, error_type=type(exc).__name__))
            exc.add_note(f"(in step {name!r} of flow {self.graph.name})")
            raise
        self._publish(ev.FlowMethodFinished(
            run_id=self.run_id, flow_name=self.graph.name, method=name,
            result=describe(result), state=self.snapshot()))
        return result

    async def _reviewed(self, step: Step, result: Any) -> Any:
        """Keeps the step's output; with `@human_feedback`, asks about it first and returns
        the `HumanFeedbackResult` (a step with `emit` routes on its outcome)."""
        config = step.mark.human_feedback
        if config is None:
            self.outputs.append((step.name, result))
            return result
        feedback = await ask_feedback(self.flow, self.graph.name, step.name, config, result)
        self.outputs.append((step.name, result if feedback.outcome is not None else feedback))
        return feedback

    def _publish(self, event: ev.RunEvent) -> None:
        bus.publish(event)


def _label(value: Any) -> str:
    if isinstance(value, HumanFeedbackResult):
        return value.outcome or ""
    return str(value.value if isinstance(value, enum.Enum) else value)


def _payload(value: Any) -> Any:
    """What a route label's listeners get: the label, or a `HumanFeedbackResult` (CrewAI's)."""
    return value if isinstance(value, HumanFeedbackResult) else _label(value)


def _accepts(flow: Any, name: str, parameter: str) -> bool:
    import inspect

    try:
        return parameter in inspect.signature(getattr(flow, name)).parameters
    except (TypeError, ValueError):
        return False


async def _in_thread(method: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any],
                     cancel: threading.Event) -> Any:
    """Runs a sync step in a thread of its own, with the caller's context.

    Not the loop's default executor: it has `min(32, cores + 4)` threads, so 100 flows whose
    sync steps each block on a crew would run 6 at a time (measured: 17x one flow's time).
    Cancelled, it sets `cancel` (the step's blocking crews stop at their next chunk) and waits
    a little for the thread to end, then re-raises.
    """
    context = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def work() -> None:
        try:
            result: tuple[bool, Any] = (True, context.run(method, *args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the loop, raised there
            result = (False, exc)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, *result)

    threading.Thread(target=work, name="crewdesk-flow-step", daemon=True).start()
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        cancel.set()
        await asyncio.wait({future}, timeout=THREAD_GRACE_S)
        if future.done() and not future.cancelled():
            future.exception()  # retrieved: the step's own error after a cancel is moot
        raise


async def _all_at_once(coros: list[Coroutine[Any, Any, Any]]) -> None:
    """Runs coroutines at once; the first error cancels the rest, which are waited for."""
    if len(coros) == 1:
        await coros[0]
        return
    tasks = [asyncio.ensure_future(coro) for coro in coros]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
