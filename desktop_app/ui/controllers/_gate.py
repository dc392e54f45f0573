"""`RunGate`: a FIFO semaphore whose limit can change while runs wait (the concurrency limit)."""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType

__all__ = ["RunGate"]


class RunGate:
    """Lets at most `limit` runs through at once, in the order they asked.

    Use it as `async with gate:`. Raising the limit lets waiting runs in at once; lowering
    it lets running runs finish and holds new ones back.
    """

    def __init__(self, limit: int) -> None:
        """Creates a gate.

        Args:
            limit: How many runs may be inside at once (at least 1).
        """
        self._limit = max(1, limit)
        self._inside = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def limit(self) -> int:
        """How many runs may be inside at once."""
        return self._limit

    @limit.setter
    def limit(self, value: int) -> None:
        self._limit = max(1, value)
        self._wake()

    @property
    def inside(self) -> int:
        """How many runs are inside now."""
        return self._inside

    @property
    def waiting(self) -> int:
        """How many runs wait at the gate."""
        return sum(1 for waiter in self._waiters if not waiter.done())

    async def __aenter__(self) -> None:
        if self._inside < self._limit and not self.waiting:
            self._inside += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # let in, then cancelled before it could start
            elif waiter in self._waiters:  # `_wake` drops cancelled waiters it meets first
                self._waiters.remove(waiter)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release()

    def _release(self) -> None:
        self._inside -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._inside < self._limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._inside += 1
