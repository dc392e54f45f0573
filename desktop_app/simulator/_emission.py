"""Timed output without a sleep per token.

One ``Ticker`` per server wakes at most once every few milliseconds and calls every callback
that is due. An ``Emission`` writes a response's parts on a schedule: each time it is called
it writes every part already due in one write, then books its next call. At 1,000 streams the
cost is a function call per stream and tick, not a task wake-up and a sleep per token, and a
busy server catches up by writing bigger batches instead of falling further behind.
"""

from __future__ import annotations

import asyncio
import enum
import heapq
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from desktop_app.simulator._http import LAST_CHUNK, Connection, chunk
from desktop_app.simulator._stats import SimulatorStats

_log = logging.getLogger(__name__)

TICK_SECONDS = 0.005
"""The shortest time between two ticks."""

_EARLY = 0.001
"""A callback due this soon after a tick runs in that tick."""


class Ticker:
    """Calls callbacks at (about) given loop times, batching those that are close."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stats: SimulatorStats) -> None:
        """Bind to the loop whose ``time()`` the due times are measured in.

        Args:
            loop: The server's event loop.
            stats: Where to report how late the ticks run.
        """
        self._loop = loop
        self._stats = stats
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        # The scheduled tick and its due time. The time is kept here because some loops
        # (qasync) return a plain `Handle` from `call_at`, which has no `when()`.
        self._handle: asyncio.Handle | None = None
        self._handle_when = float("inf")
        self._last_tick = float("-inf")

    def call_at(self, when: float, callback: Callable[[], None]) -> None:
        """Call ``callback`` at loop time ``when``, at most ``TICK_SECONDS`` late."""
        heapq.heappush(self._heap, (when, next(self._order), callback))
        if self._handle is None or when < self._handle_when:
            self._schedule(when)

    def _schedule(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle_when = max(when, self._last_tick + TICK_SECONDS)
        self._handle = self._loop.call_at(self._handle_when, self._tick)

    def _tick(self) -> None:
        self._handle = None
        self._handle_when = float("inf")
        now = self._loop.time()
        self._last_tick = now
        heap = self._heap
        if heap:
            self._stats.note_lateness(now - heap[0][0])
        while heap and heap[0][0] <= now + _EARLY:
            callback = heapq.heappop(heap)[2]
            try:
                callback()
            except Exception:  # noqa: BLE001  (one broken emission must not stop the others)
                _log.exception("simulator emission failed")
        if heap and self._handle is None:
            self._schedule(heap[0][0])

    def close(self) -> None:
        """Forget every pending callback."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            self._handle_when = float("inf")
        self._heap.clear()


class Outcome(enum.Enum):
    """How an emission ended."""

    COMPLETED = "completed"
    PEER_GONE = "peer_gone"
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class Schedule:
    """What to write and when.

    Attributes:
        parts: The parts, in order (SSE events, or one whole response).
        first_due: Loop time at which part 0 is due.
        interval: Seconds between two parts.
        trailer: Written right after the last part (e.g. the closing SSE events).
        chunked: Frame each write as an HTTP chunk and end with the last chunk.
        drop_after: Abort the connection after this many parts, before the trailer.
    """

    parts: list[bytes]
    first_due: float
    interval: float
    trailer: bytes = b""
    chunked: bool = False
    drop_after: int | None = None


class Emission:
    """Writes one response on its schedule; ``done`` tells how it ended."""

    def __init__(self, connection: Connection, ticker: Ticker, schedule: Schedule) -> None:
        """Prepare; nothing is written before ``start``."""
        self._connection = connection
        self._ticker = ticker
        self._schedule = schedule
        self._next = 0
        self._loop = asyncio.get_running_loop()
        self.done: asyncio.Future[Outcome] = self._loop.create_future()

    def start(self) -> None:
        """Book the first write."""
        self._ticker.call_at(self._schedule.first_due, self._on_due)

    def peer_gone(self) -> None:
        """End the emission because the client went away."""
        self._finish(Outcome.PEER_GONE)

    def _finish(self, outcome: Outcome) -> None:
        if not self.done.done():
            self.done.set_result(outcome)

    def _due_count(self, now: float) -> int:
        """How many parts are due by ``now`` (always at least one more than written)."""
        plan = self._schedule
        if plan.interval <= 0:
            return len(plan.parts)
        due = int((now - plan.first_due) / plan.interval) + 1
        return max(self._next + 1, min(len(plan.parts), due))

    def _on_due(self) -> None:
        if self.done.done():
            return
        if self._connection.transport.is_closing():
            self._finish(Outcome.PEER_GONE)
            return
        plan = self._schedule
        end = self._due_count(self._loop.time() + _EARLY)
        dropping = plan.drop_after is not None and end >= plan.drop_after
        if dropping:
            end = plan.drop_after or 0
        data = b"".join(plan.parts[self._next : end])
        finished = end >= len(plan.parts) and not dropping
        if finished:
            data += plan.trailer
        if plan.chunked:
            data = (chunk(data) if data else b"") + (LAST_CHUNK if finished else b"")
        if data:
            self._connection.write(data)
        self._next = end
        if dropping:
            self._connection.abort()
            self._finish(Outcome.DROPPED)
        elif finished:
            self._finish(Outcome.COMPLETED)
        else:
            self._ticker.call_at(plan.first_due + end * plan.interval, self._on_due)
