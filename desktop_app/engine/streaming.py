"""Streaming: `StreamChunk`, `CrewStreamingOutput` and `RunEventStream`.

A `RunEventStream` owns the asyncio task of one or more runs and hands their events out in
order with `async for`. Producers may be on the loop (`akickoff`) or in a worker thread
(`kickoff_async`): `emit` is thread-safe. `CrewStreamingOutput` is the CrewAI-shaped view of
the same stream: only text and tool-call chunks, plus `.result` once the stream is read.
The blocking `kickoff` path streams through a `queue.Queue` instead, read with `for`.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from desktop_app.engine import events as ev
from desktop_app.engine.errors import StreamNotFinishedError
from desktop_app.engine.outputs import CrewOutput

T = TypeVar("T")


class StreamChunkType(StrEnum):
    """What a chunk carries."""

    TEXT = "text"
    TOOL_CALL = "tool_call"


class ToolCallChunk(BaseModel):
    """A tool call inside a chunk: the tool's name and the JSON arguments the model wrote."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    tool_id: str
    tool_name: str
    arguments: str


class StreamChunk(BaseModel):
    """A piece of a crew's streamed output, with where it came from.

    Attributes:
        content: The text (for a tool call, its arguments).
        chunk_type: TEXT or TOOL_CALL.
        task_index: Index of the task (0-based).
        task_name: The task's name, or None.
        agent_role: Role of the agent that produced it.
        tool_call: The call, for TOOL_CALL chunks.
        run_id: The run it belongs to (several runs share a stream in the for-each methods).
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    content: str
    chunk_type: StreamChunkType = StreamChunkType.TEXT
    task_index: int
    task_name: str | None = None
    agent_role: str
    tool_call: ToolCallChunk | None = None
    run_id: str

    def __str__(self) -> str:
        return self.content


def chunk_of(event: ev.RunEvent) -> StreamChunk | None:
    """The chunk an event shows as, or None for events that are not chunks."""
    if isinstance(event, ev.TextDelta):
        return StreamChunk(
            content=event.content,
            task_index=event.task_index,
            task_name=event.task_name,
            agent_role=event.agent_role,
            run_id=event.run_id,
        )
    if isinstance(event, ev.ToolCallStarted):
        return StreamChunk(
            content=event.arguments,
            chunk_type=StreamChunkType.TOOL_CALL,
            task_index=event.task_index,
            task_name=event.task_name,
            agent_role=event.agent_role,
            tool_call=ToolCallChunk(
                tool_id=event.call_id, tool_name=event.tool_name, arguments=event.arguments
            ),
            run_id=event.run_id,
        )
    return None


_DONE = object()


class RunEventStream(Generic[T]):
    """The events of one or more runs, in order, and their result once they end.

    Owns the task that runs them: `aclose()` (or cancelling the consumer while it reads)
    cancels it. Create it inside a running event loop.

    Args:
        runner: Called with this stream's `emit`; returns the awaitable that does the work.
    """

    def __init__(self, runner: Callable[[Callable[[ev.RunEvent], None]], Awaitable[T]]) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._task: asyncio.Future[T] = asyncio.ensure_future(runner(self.emit))
        self._task.add_done_callback(lambda _: self._queue.put_nowait(_DONE))
        self._finished = False

    def emit(self, event: ev.RunEvent) -> None:
        """Queues an event; safe to call from any thread."""
        if threading.get_ident() == self._loop_thread:
            self._queue.put_nowait(event)
        else:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

    def __aiter__(self) -> AsyncIterator[ev.RunEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[ev.RunEvent]:
        try:
            while True:
                item = await self._queue.get()
                if item is _DONE:
                    break
                yield item  # type: ignore[misc]  # only events and _DONE are queued
        finally:
            if not self._task.done():
                self._task.cancel()
        self._finished = True
        await self._task  # re-raises the run's error, if any

    @property
    def is_completed(self) -> bool:
        """Whether the stream was read to its end and the work succeeded."""
        return self._finished and not self._task.cancelled() and self._task.exception() is None

    def value(self) -> T:
        """What the work returned.

        Raises:
            StreamNotFinishedError: The stream has not been read to its end yet.
        """
        if not self._finished:
            raise StreamNotFinishedError(
                "The result is ready only after the stream is read to its end "
                "(async for chunk in output: ...)."
            )
        return self._task.result()

    async def aclose(self) -> None:
        """Cancels the work, if it still runs, and waits for it to stop."""
        if not self._task.done():
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


class _BlockingPump:
    """Runs blocking work in a thread and hands its events out with a plain `for`."""

    def __init__(self, work: Callable[[Callable[[ev.RunEvent], None]], Any]) -> None:
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._outcome: tuple[bool, Any] | None = None
        self._thread = threading.Thread(target=self._main, args=(work,), daemon=True)
        self._thread.start()

    def _main(self, work: Callable[[Callable[[ev.RunEvent], None]], Any]) -> None:
        try:
            self._outcome = (True, work(self._queue.put))
        except BaseException as exc:  # noqa: BLE001 - handed to the reader
            self._outcome = (False, exc)
        finally:
            self._queue.put(_DONE)

    def events(self) -> Iterator[ev.RunEvent]:
        while (item := self._queue.get()) is not _DONE:
            yield item  # type: ignore[misc]  # only events and _DONE are queued
        self._thread.join()

    def outcome(self) -> tuple[bool, Any] | None:
        return self._outcome


class CrewStreamingOutput:
    """What a streaming kickoff returns, as CrewAI's: iterate it, then read `.result`.

    Use `async for chunk in output` after `akickoff`/`kickoff_async`, and `for chunk in
    output` after `kickoff`. Each chunk arrives once. For the for-each methods `.results`
    holds one `CrewOutput` per input, in input order.
    """

    def __init__(
        self,
        *,
        events: RunEventStream[Any] | None = None,
        pump: _BlockingPump | None = None,
        many: bool = False,
    ) -> None:
        self._events = events
        self._pump = pump
        self._many = many
        self.chunks: list[StreamChunk] = []

    async def __aiter__(self) -> AsyncIterator[StreamChunk]:
        if self._events is None:
            raise TypeError("this output came from kickoff(): read it with a plain for loop")
        async for event in self._events:
            chunk = chunk_of(event)
            if chunk is not None:
                self.chunks.append(chunk)
                yield chunk

    def __iter__(self) -> Iterator[StreamChunk]:
        if self._pump is None:
            raise TypeError("this output came from an async kickoff: read it with async for")
        for event in self._pump.events():
            chunk = chunk_of(event)
            if chunk is not None:
                self.chunks.append(chunk)
                yield chunk
        outcome = self._pump.outcome()
        if outcome is not None and not outcome[0]:
            raise outcome[1]

    def _value(self) -> Any:
        if self._events is not None:
            return self._events.value()
        outcome = self._pump.outcome() if self._pump is not None else None
        if outcome is None:
            raise StreamNotFinishedError(
                "The result is ready only after the stream is read to its end."
            )
        if not outcome[0]:
            raise outcome[1]
        return outcome[1]

    @property
    def result(self) -> CrewOutput:
        """The final `CrewOutput` (the first one for a for-each stream)."""
        value = self._value()
        return value[0] if self._many else value  # type: ignore[no-any-return]

    @property
    def results(self) -> list[CrewOutput]:
        """Every `CrewOutput`, in input order."""
        value = self._value()
        return list(value) if self._many else [value]

    @property
    def is_completed(self) -> bool:
        """Whether the stream was read to its end and the run succeeded."""
        if self._events is not None:
            return self._events.is_completed
        outcome = self._pump.outcome() if self._pump is not None else None
        return outcome is not None and outcome[0]

    def get_full_text(self) -> str:
        """All text chunks received so far, joined."""
        return "".join(c.content for c in self.chunks if c.chunk_type is StreamChunkType.TEXT)

    async def aclose(self) -> None:
        """Stops the run(s) behind this stream."""
        if self._events is not None:
            await self._events.aclose()
