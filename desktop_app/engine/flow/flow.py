"""`Flow`: CrewAI's event-driven workflow of steps, on CrewDesk's engine.

    class Report(Flow[ReportState]):
        @start()
        def pick(self): self.state.topic = "AI"
        @listen(pick)
        async def write(self): return await WriterCrew().crew().akickoff({"t": self.state.topic})

    Report().kickoff(inputs={"topic": "flows"})     # blocking; or await ...akickoff(...)

`kickoff`, `kickoff_async` and `akickoff` run the same native async run (`kickoff` on its own
loop, in a helper thread when the caller already runs one). The run publishes typed events on
the engine's bus (`FlowStarted` ... `FlowFinished`, see `engine.events`), so the CLI and the
app follow it; `run_events()` (also `stream_events()` here, as `Crew.stream_events`) gives one
run's events and its crews' as a typed stream; `usage_metrics` sums the crews its steps ran.

With `stream = True` (CrewAI's flow streaming), the kickoffs return a session of `StreamFrame`s
instead (`_streaming`): the flow's events and its crews' streamed text, tagged with the step,
then `.result`. `astream()` and `stream_frames()` return such sessions whatever `stream` is.
`crewai.flow.Flow` (the compatibility layer) names `stream_frames` `stream_events`, as CrewAI
does; code that needs the typed events of any flow calls `run_events`.
"""

from __future__ import annotations

import asyncio
import uuid
import warnings
import webbrowser
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, get_origin

from pydantic import BaseModel

from desktop_app.engine import bus
from desktop_app.engine import events as ev
from desktop_app.engine._blocking import run_to_end
from desktop_app.engine.errors import IgnoredSettingWarning
from desktop_app.engine.flow import _state
from desktop_app.engine.flow._feedback import HumanFeedbackHandler, HumanFeedbackResult
from desktop_app.engine.flow._graph import FlowGraph, graph_of
from desktop_app.engine.flow._routes import route
from desktop_app.engine.flow._runtime import FlowRun, describe
from desktop_app.engine.flow._streaming import AsyncStreamSession, StreamSession
from desktop_app.engine.flow.persistence import (
    FlowPersistence,
    SQLiteFlowPersistence,
    method_persist,
)
from desktop_app.engine.outputs import UsageMetrics
from desktop_app.engine.streaming import RunEventStream

__all__ = ["Flow"]

T = TypeVar("T", bound="dict[str, Any] | BaseModel")

_IGNORED = {
    "tracing": "CrewAI's cloud tracing is not part of CrewDesk; the flow's events are on the "
               "engine's bus (and crewai.events)",
    "suppress_flow_events": "CrewDesk always publishes a flow's events on the engine's bus",
    "defer_trace_finalization": "CrewAI's cloud tracing is not part of CrewDesk",
}
"""CrewAI's `Flow` fields that CrewDesk accepts with a warning rather than an error."""


class Flow(Generic[T]):
    """Base class of flows: subclass it, mark methods with `@start`, `@listen`, `@router`.

    Class attributes (CrewAI's): `initial_state` (a dict, a model class or instance),
    `name` (default: the class's name), `max_method_calls` (a step's runs per kickoff before
    it is called an endless loop), `stream` (the kickoffs return a `StreamSession` /
    `AsyncStreamSession` of frames); CrewDesk's `human_feedback_handler` answers the
    `@human_feedback` questions (default: a line of stdin).

    Args:
        persistence: Where `@persist` saves states (overrides the decorators' backends).
        **kwargs: Values for the class's own attributes (an unknown name is an error).
    """

    initial_state: ClassVar[Any] = None
    name: str | None = None
    max_method_calls: int = 100
    stream: bool = False
    human_feedback_handler: HumanFeedbackHandler | None = None
    _initial_state_t: ClassVar[object] = None

    def __class_getitem__(cls, item: Any) -> Any:
        """`Flow[Model]`: a Flow whose state is a `Model` (with an `id` mixed in if needed)."""
        if isinstance(item, TypeVar):
            return cls
        item = get_origin(item) or item  # Flow[dict[str, Any]] is a dict state
        typed = type(f"{cls.__name__}[{getattr(item, '__name__', item)}]", (cls,), {
            "_initial_state_t": item, "__module__": cls.__module__})
        return typed

    def __init__(self, persistence: FlowPersistence | None = None, **kwargs: Any) -> None:
        for key, value in kwargs.items():
            if key in _IGNORED and not hasattr(type(self), key):
                warnings.warn(IgnoredSettingWarning(
                    f"{type(self).__name__}({key}=...): {_IGNORED[key]}"), stacklevel=2)
                continue
            if key.startswith("_") or not hasattr(type(self), key):
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument "
                                f"{key!r} (a flow's inputs go to kickoff(inputs=...))")
            setattr(self, key, value)
        self.persistence = persistence
        self._graph: FlowGraph = graph_of(type(self))
        self._state: dict[str, Any] | BaseModel = _state.initial_state(
            type(self)._initial_state_t, type(self).initial_state)
        self._outputs: list[Any] = []
        self._usage = UsageMetrics()
        self._run: FlowRun | None = None
        self._default_backend: FlowPersistence | None = None
        self.last_human_feedback: HumanFeedbackResult | None = None
        self.human_feedback_history: list[HumanFeedbackResult] = []

    # --- what a step reads --------------------------------------------------------

    @property
    def state(self) -> T:
        """The flow's state (a dict or the state model), shared by every step."""
        return self._state  # type: ignore[return-value]  # T is the state's own type

    @property
    def flow_id(self) -> str:
        """The state's `id` (the key persistence saves under)."""
        return _state.state_id(self._state)

    @property
    def method_outputs(self) -> list[Any]:
        """What the steps of the last run returned, in the order they ended."""
        return list(self._outputs)

    @property
    def usage_metrics(self) -> UsageMetrics:
        """Tokens of every crew the steps of the last (or current) run kicked off."""
        run = self._run
        return run.usage.model_copy() if run is not None else self._usage.model_copy()

    @property
    def flow_name(self) -> str:
        """The name events and pictures show (`name`, else the class's)."""
        return self.name or type(self).__name__

    # --- kickoff ---------------------------------------------------------------

    def kickoff(self, inputs: dict[str, Any] | None = None) -> Any:
        """Runs the flow and blocks until it ends; returns the last step's value.

        With `stream = True` it returns at once a `StreamSession` to read with `for`.
        """
        if self.stream:
            return self.stream_frames(inputs)
        return run_to_end(self.akickoff(inputs), thread_name="crewdesk-flow")

    async def kickoff_async(self, inputs: dict[str, Any] | None = None) -> Any:
        """Runs the flow natively on this loop (as `akickoff`)."""
        return await self.akickoff(inputs)

    async def akickoff(self, inputs: dict[str, Any] | None = None) -> Any:
        """Runs the flow natively on this loop; returns the last step's value.

        `inputs` are merged into the state; with persistence on, an `"id"` in them loads the
        latest saved state of that id first (resume). Cancelling the awaiting task cancels the
        flow and the crews its steps run. With `stream = True` it returns at once an
        `AsyncStreamSession` to read with `async for` (the flow runs meanwhile).

        Raises:
            Exception: A step's own error (its notes name the step and the flow).
        """
        if self.stream:
            return self.astream(inputs)
        return await self._kickoff(inputs, uuid.uuid4().hex)

    def astream(self, inputs: dict[str, Any] | None = None) -> AsyncStreamSession[Any]:
        """Starts one run on this loop and returns its frames to read with `async for`.

        The frames are the flow's own events and those of the crews its steps kick off (their
        streamed text as `llm_stream_chunk` frames), each tagged with its step; after the
        last one `.result` is the flow's result. `await session.aclose()` (or leaving
        `async with session:`) cancels the flow and its crews. Call it on a running loop.

        Raises:
            RuntimeError: No event loop runs here (`kickoff()` gives a session for `for`).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                f"{type(self).__name__}.astream() needs a running event loop (call it in async "
                "code); with stream=True, kickoff() returns a session to read with a plain for"
            ) from None
        return AsyncStreamSession(self._event_runner(inputs))

    def stream_frames(self, inputs: dict[str, Any] | None = None) -> StreamSession[Any]:
        """Starts one run (on a loop of its own, in a helper thread) and returns its frames
        to read with `for` (CrewAI's `Flow.stream_events`); as `astream` otherwise, with
        `session.close()` or `with session:`."""
        return StreamSession(self._event_runner(inputs))

    def run_events(self, inputs: dict[str, Any] | None = None) -> RunEventStream[Any]:
        """Starts one run and returns its typed event stream (call on a running loop).

        The stream holds the flow's own events (`FlowStarted` ... `FlowFinished`) and every
        event of the crews its steps kick off (each announced by a `FlowCrewStarted` naming
        the step, before the crew's `RunStarted`), in order. Read it with `async for`; after
        the last event `stream.value()` is the flow's result (or its error is raised);
        `await stream.aclose()` cancels the flow and its crews.
        """
        return RunEventStream(self._event_runner(inputs))

    def stream_events(self, inputs: dict[str, Any] | None = None) -> RunEventStream[Any]:
        """As `run_events` (CrewDesk's name, as `Crew.stream_events`).

        `crewai.flow.Flow` gives this name CrewAI's meaning (`stream_frames`): code that must
        read the typed events of any flow, CrewAI-style or not, calls `run_events`.
        """
        return self.run_events(inputs)

    def _event_runner(self, inputs: dict[str, Any] | None
                      ) -> Callable[[Callable[[ev.RunEvent], None]], Coroutine[Any, Any, Any]]:
        """What starts one run giving its events, and its crews', to an `emit` function."""
        run_id = uuid.uuid4().hex

        def runner(emit: Callable[[ev.RunEvent], None]) -> Coroutine[Any, Any, Any]:
            return self._routed(inputs, run_id, emit)

        return runner

    async def _routed(self, inputs: dict[str, Any] | None, run_id: str,
                      emit: Callable[[ev.RunEvent], None]) -> Any:
        stop = route(run_id, emit)  # one bus subscriber for every streamed flow (`_routes`)
        try:
            return await self._kickoff(inputs, run_id)
        finally:
            stop()

    async def _kickoff(self, inputs: dict[str, Any] | None, run_id: str) -> Any:
        given = dict(inputs or {})
        run = FlowRun(self, self._graph, run_id, lambda: _state.snapshot(self._state),
                      self._after_step, self.max_method_calls)
        self._run = run
        await self._prepare_state(given)
        bus.publish(ev.FlowStarted(run_id=run.run_id, flow_name=self.flow_name,
                                   state_id=self.flow_id, inputs=_state.snapshot(given)))
        try:
            result = await run.run(given.get("crewai_trigger_payload"))
        except asyncio.CancelledError:
            run.cancel_crews()
            bus.publish(ev.FlowCancelled(run_id=run.run_id, flow_name=self.flow_name,
                                         usage=run.usage.model_copy()))
            raise
        except Exception as exc:
            bus.publish(ev.FlowFailed(
                run_id=run.run_id, flow_name=self.flow_name, method=run.failed_step,
                error=str(exc) or type(exc).__name__, error_type=type(exc).__name__,
                usage=run.usage.model_copy()))
            raise
        finally:
            self._outputs = [value for _, value in run.outputs]
            self._usage = run.usage.model_copy()
        bus.publish(ev.FlowFinished(
            run_id=run.run_id, flow_name=self.flow_name, result=describe(result),
            state=_state.snapshot(self._state), usage=run.usage.model_copy(),
            cost_usd=run.cost_usd))
        return result

    async def _prepare_state(self, inputs: dict[str, Any]) -> None:
        """Stamps a given id, loads its saved state (persistence on), merges the rest."""
        if "id" in inputs:
            self._stamp_id(str(inputs["id"]))
            backend = await self._backend_for_restore()
            if backend is not None:
                stored = await asyncio.to_thread(backend.load_state, str(inputs["id"]))
                if stored:
                    self._state = _state.restore(self._state, stored)
        rest = {key: value for key, value in inputs.items() if key != "id"}
        if rest:
            self._state = _state.apply_inputs(self._state, rest)

    def _stamp_id(self, state_id: str) -> None:
        if isinstance(self._state, dict):
            self._state["id"] = state_id
        else:
            object.__setattr__(self._state, "id", state_id)

    # --- persistence -----------------------------------------------------------

    async def _backend_for_restore(self) -> FlowPersistence | None:
        configured = [method_persist(step.mark, type(self)) for step in
                      self._graph.steps.values()]
        found = next((one for one in configured if one is not None), None)
        if self.persistence is None and found is None:
            return None
        return await self._backend(found[0] if found else None)

    async def _backend(self, chosen: FlowPersistence | None) -> FlowPersistence:
        if self.persistence is not None:
            return self.persistence
        if chosen is not None:
            return chosen
        if self._default_backend is None:  # opened off the loop: it creates the file
            self._default_backend = await asyncio.to_thread(SQLiteFlowPersistence)
        return self._default_backend

    async def _after_step(self, method: str) -> None:
        """Saves the state after `method` when it (or the class) has `@persist`."""
        config = method_persist(self._graph.steps[method].mark, type(self))
        if config is None:
            return
        backend = await self._backend(config[0] if config else None)
        await asyncio.to_thread(backend.save_state, self.flow_id, method,
                                _state.snapshot(self._state))

    # --- picture -----------------------------------------------------------------

    def plot(self, filename: str = "crewai_flow.html", show: bool = True) -> str:
        """Writes the flow's graph as a self-contained HTML page; returns its path.

        Args:
            filename: The file (".html" is added when missing).
            show: Open it in the browser.
        """
        from desktop_app.engine.flow._plot import flow_html

        path = Path(filename if filename.endswith(".html") else f"{filename}.html")
        path.write_text(flow_html(self._graph, self.flow_name), encoding="utf-8")
        if show:
            webbrowser.open(path.absolute().as_uri())
        return str(path)
