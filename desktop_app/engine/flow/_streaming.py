"""Streamed flow runs: `StreamSession` (read with `for`) and `AsyncStreamSession` (`async for`).

What `Flow(stream=True).kickoff()` and `await ....akickoff()` return, as CrewAI 1.15's: iterate
the session for the run's `StreamFrame`s (the flow's events and the crews' streamed text and
tool calls, each tagged with its step), then read `.result`. A step's error is raised by the
iteration after the frames before it, and again by `.result`. `close()` / `aclose()` (or
leaving a `with` / `async with` block before the end) cancels the flow and the crews its steps
run; breaking out of a loop does not (iterate again to go on), as in CrewAI.

The async session reads the run's `RunEventStream` (its task owned by the stream). The sync
session runs the flow on an event loop of its own in a helper thread (`_LoopThread`), so it
works from plain scripts and from code that already runs a loop, and can be cancelled there.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from typing import Any, Generic, TypeVar

from desktop_app.engine import events as ev
from desktop_app.engine.errors import StreamNotFinishedError
from desktop_app.engine.flow._frames import FrameMaker, StreamChannel, StreamFrame
from desktop_app.engine.streaming import RunEventStream

__all__ = ["AsyncStreamSession", "StreamSession"]

T = TypeVar("T")

Runner = Callable[[Callable[[ev.RunEvent], None]], Coroutine[Any, Any, Any]]
"""Starts a flow run that gives each of its events to the function it is called with."""

_DONE = object()
_MISSING = object()


class _SessionBase(Generic[T]):
    """What both sessions share: the frames so far, the result, and how the stream ended."""

    def __init__(self) -> None:
        self._maker = FrameMaker()
        self._frames: list[StreamFrame] = []
        self._result: object = _MISSING
        self._error: BaseException | None = None
        self._completed = False
        self._cancelled = False
        self._exhausted = False

    @property
    def result(self) -> T:
        """The flow's output (its last step's value), once the stream was read to its end.

        Raises:
            StreamNotFinishedError: The stream was not read to its end (or was closed first).
            Exception: The step's error that failed the flow.
        """
        if self._error is not None:
            raise self._error
        if not self._completed:
            raise StreamNotFinishedError(
                "The flow's result is ready only after its stream is read to its end "
                "(for frame in session: ...).")
        if self._result is _MISSING:
            raise StreamNotFinishedError(
                "The flow's stream was closed before the flow ended: there is no result.")
        return self._result  # type: ignore[return-value]  # the flow's own value

    @property
    def is_completed(self) -> bool:
        """Whether the stream has ended: read to its end, failed, or closed."""
        return self._completed

    @property
    def is_cancelled(self) -> bool:
        """Whether the session was closed before the flow ended."""
        return self._cancelled

    @property
    def is_exhausted(self) -> bool:
        """Whether the stream was read to its end and the flow succeeded."""
        return self._exhausted

    @property
    def frames(self) -> list[StreamFrame]:
        """The frames read so far, in order."""
        return list(self._frames)

    def get_full_text(self) -> str:
        """The crews' streamed text read so far, joined (CrewDesk's convenience)."""
        return "".join(frame.content for frame in self._frames)

    def _take(self, event: ev.RunEvent, selected: set[str] | None) -> StreamFrame | None:
        """Makes and keeps the frame of `event`; returns it when its channel is selected."""
        frame = self._maker.frame(event)
        if frame is None:
            return None
        self._frames.append(frame)
        return frame if selected is None or frame.channel in selected else None

    def _replay(self, selected: set[str] | None) -> list[StreamFrame]:
        return [f for f in self._frames if selected is None or f.channel in selected]

    def _closed(self) -> bool:
        """Whether `close()` / `aclose()` was called (a method: it changes while awaiting)."""
        return self._cancelled

    def _ended(self, ok: bool, value: Any) -> None:
        self._completed = True
        if ok:
            self._result = value
            self._exhausted = True
        else:
            self._error = value


class _LoopThread:
    """Runs a flow on an event loop of its own in a helper thread; its events in a queue.

    Args:
        runner: Starts the run; it may emit from any thread (the queue is thread-safe).
    """

    def __init__(self, runner: Runner) -> None:
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Future[Any] | None = None
        self._cancel = False
        self.outcome: tuple[bool, Any] | None = None
        self._thread = threading.Thread(target=self._main, args=(runner,),
                                        name="crewdesk-flow-stream", daemon=True)
        self._thread.start()

    def _main(self, runner: Runner) -> None:
        async def drive() -> Any:
            task = asyncio.ensure_future(runner(self._queue.put))
            with self._lock:
                self._loop, self._task = asyncio.get_running_loop(), task
                if self._cancel:
                    task.cancel()
            return await task

        try:
            self.outcome = (True, asyncio.run(drive()))
        except BaseException as exc:  # noqa: BLE001 - handed to the reader
            self.outcome = (False, exc)
        finally:
            self._queue.put(_DONE)

    def events(self) -> Iterator[ev.RunEvent]:
        """The run's events as they come; ends when the run has ended."""
        while (item := self._queue.get()) is not _DONE:
            yield item  # type: ignore[misc]  # only events and _DONE are queued
        self._thread.join()

    def cancel(self) -> None:
        """Cancels the run and waits until it has stopped (its crews' streams closed)."""
        with self._lock:
            self._cancel = True
            loop, task = self._loop, self._task
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: it ended
                loop.call_soon_threadsafe(task.cancel)
        self._thread.join()


class StreamSession(_SessionBase[T]):
    """A streamed flow run read with `for` (CrewAI's `StreamSession`).

    `for frame in session` (or `session.events`) yields every frame; `session.llm`,
    `.flow`, `.tools` and `.messages` only those of one channel, `interleave(channels)` /
    `subscribe(channels)` those of several, in order. Frames are read once: a second
    iteration goes on where the first stopped, and after the end replays them.

    Args:
        runner: Starts the flow run (on the helper thread's loop).
    """

    def __init__(self, runner: Runner) -> None:
        super().__init__()
        self._run = _LoopThread(runner)
        self._source = self._run.events()

    def __enter__(self) -> StreamSession[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._exhausted:
            self.close()

    def __iter__(self) -> Iterator[StreamFrame]:
        return self.subscribe()

    @property
    def events(self) -> Iterator[StreamFrame]:
        """Every frame."""
        return self.subscribe()

    @property
    def llm(self) -> Iterator[StreamFrame]:
        """The crews' streamed text (`llm_stream_chunk` frames)."""
        return self.subscribe(["llm"])

    @property
    def messages(self) -> Iterator[StreamFrame]:
        """Conversation messages (CrewDesk's flows have none)."""
        return self.subscribe(["messages"])

    @property
    def flow(self) -> Iterator[StreamFrame]:
        """The flow's own frames (started, each step, finished or failed)."""
        return self.subscribe(["flow"])

    @property
    def tools(self) -> Iterator[StreamFrame]:
        """The crews' tool calls."""
        return self.subscribe(["tools"])

    def interleave(self, channels: Sequence[StreamChannel]) -> Iterator[StreamFrame]:
        """The frames of these channels, in order."""
        return self.subscribe(channels)

    def subscribe(self, channels: Sequence[StreamChannel] | None = None
                  ) -> Iterator[StreamFrame]:
        """The frames (of these channels only, if given), in order.

        Raises:
            Exception: The error that failed the flow, after the frames before it.
        """
        selected = _selected(channels)
        if not self._frames_left():
            yield from self._replay(selected)
            return
        for event in self._source:
            frame = self._take(event, selected)
            if frame is not None:
                yield frame
        outcome = self._run.outcome  # set before the queue's end marker
        self._ended(*(outcome if outcome is not None else (True, None)))
        if self._error is not None:
            raise self._error

    def _frames_left(self) -> bool:
        return not (self._exhausted or self._cancelled or self._error is not None)

    def close(self) -> None:
        """Cancels the flow and its crews (when it still runs) and waits until they stop."""
        if not self._frames_left():
            return
        self._cancelled = self._completed = True
        self._run.cancel()


class AsyncStreamSession(_SessionBase[T]):
    """A streamed flow run read with `async for` (CrewAI's `AsyncStreamSession`).

    As `StreamSession`, with `async with` and `await session.aclose()`. Cancelling the task
    that reads it cancels the flow.

    Args:
        runner: Starts the flow run on the running loop.
    """

    def __init__(self, runner: Runner) -> None:
        super().__init__()
        self._stream: RunEventStream[Any] = RunEventStream(runner)
        self._source = aiter(self._stream)

    async def __aenter__(self) -> AsyncStreamSession[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if not self._exhausted:
            await self.aclose()

    def __aiter__(self) -> AsyncIterator[StreamFrame]:
        return self.subscribe()

    @property
    def events(self) -> AsyncIterator[StreamFrame]:
        """Every frame."""
        return self.subscribe()

    @property
    def llm(self) -> AsyncIterator[StreamFrame]:
        """The crews' streamed text (`llm_stream_chunk` frames)."""
        return self.subscribe(["llm"])

    @property
    def messages(self) -> AsyncIterator[StreamFrame]:
        """Conversation messages (CrewDesk's flows have none)."""
        return self.subscribe(["messages"])

    @property
    def flow(self) -> AsyncIterator[StreamFrame]:
        """The flow's own frames (started, each step, finished or failed)."""
        return self.subscribe(["flow"])

    @property
    def tools(self) -> AsyncIterator[StreamFrame]:
        """The crews' tool calls."""
        return self.subscribe(["tools"])

    def interleave(self, channels: Sequence[StreamChannel]) -> AsyncIterator[StreamFrame]:
        """The frames of these channels, in order."""
        return self.subscribe(channels)

    async def subscribe(self, channels: Sequence[StreamChannel] | None = None
                        ) -> AsyncIterator[StreamFrame]:
        """The frames (of these channels only, if given), in order.

        Raises:
            Exception: The error that failed the flow, after the frames before it.
        """
        selected = _selected(channels)
        if self._exhausted or self._cancelled or self._error is not None:
            for kept in self._replay(selected):
                yield kept
            return
        while True:
            try:
                event = await anext(self._source)
            except StopAsyncIteration:
                break
            except asyncio.CancelledError:
                reader = asyncio.current_task()
                if self._closed() and reader is not None and not reader.cancelling():
                    return  # closed by aclose() while read elsewhere: the reading ends
                self._cancelled = self._completed = True  # the reader was cancelled: the run too
                raise
            except Exception as exc:
                self._ended(False, exc)
                raise
            frame = self._take(event, selected)
            if frame is not None:
                yield frame
        self._ended(True, self._stream.value())

    async def aclose(self) -> None:
        """Cancels the flow and its crews (when it still runs) and waits until they stop."""
        if self._exhausted or self._cancelled or self._error is not None:
            return
        self._cancelled = self._completed = True
        await self._stream.aclose()
        closer = getattr(self._source, "aclose", None)  # an async generator's
        if closer is not None:
            with contextlib.suppress(RuntimeError):  # being read elsewhere: it ends by itself
                await closer()


def _selected(channels: Sequence[StreamChannel] | None) -> set[str] | None:
    """The channels a reader asked for, or None for all."""
    return set(channels) if channels is not None else None
