"""`max_rpm` on an agent or a crew: at most N LLM requests in any minute.

CrewAI's `RPMController` counts requests in a minute that a timer resets, and sleeps a full
minute when the count is reached. CrewDesk keeps the same promise (never more than `max_rpm`
requests in 60 seconds) with a sliding window: a request that would be one too many waits
only until the oldest request of the window is a minute old.

Which limiter an agent obeys is CrewAI's rule: its own `max_rpm` when it has one, else the
crew's. A crew's limiter is made once per run and shared by every agent of that run; an
agent's own limiter is made once per run for that agent (CrewAI copies agents for each
`kickoff_for_each` input, so separate runs never share a budget there either).

Waiting never blocks an event loop: it is an `asyncio.sleep`, in slices, so a cancelled
blocking run (`kickoff_async`, whose flag is polled) stops waiting at once. On the blocking
path the loop it sleeps on is the run's own private loop, in the run's own thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger("desktop_app.engine")

WINDOW_SECONDS = 60.0
"""The length of the window `max_rpm` counts requests in."""

_SLICE_SECONDS = 0.25
"""How often a waiting request checks whether its run was cancelled."""


class RateLimiter:
    """At most `max_rpm` requests in any `window` seconds, over every thread and loop.

    Args:
        max_rpm: Requests allowed per window (at least 1).
        window: The window in seconds (default: a minute, `WINDOW_SECONDS` when made).
        clock: Monotonic seconds; injectable for tests.
    """

    def __init__(
        self,
        max_rpm: int,
        *,
        window: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_rpm < 1:
            raise ValueError(f"max_rpm must be at least 1, not {max_rpm}")
        self.max_rpm = max_rpm
        self.window = WINDOW_SECONDS if window is None else window
        self._clock = clock
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Takes the next free slot and returns the seconds to wait for it (0: go now)."""
        with self._lock:
            now = self._clock()
            while self._starts and self._starts[0] <= now - self.window:
                self._starts.popleft()
            start = now
            if len(self._starts) >= self.max_rpm:
                start = self._starts[-self.max_rpm] + self.window
            self._starts.append(start)
            return max(0.0, start - now)

    async def wait_turn(self, cancelled: Callable[[], bool] | None = None, who: str = "") -> None:
        """Waits (asynchronously) until a request may go.

        Args:
            cancelled: Polled while waiting; when it returns True, `CancelledError` is raised.
            who: Named in the log line ("agent 'Writer'").

        Raises:
            asyncio.CancelledError: `cancelled` said so while waiting.
        """
        delay = self.reserve()
        if delay <= 0:
            return
        log.info("max_rpm=%d reached%s: waiting %.1f s", self.max_rpm, f" ({who})", delay)
        deadline = self._clock() + delay
        while (left := deadline - self._clock()) > 0:
            if cancelled is not None and cancelled():
                raise asyncio.CancelledError
            await asyncio.sleep(min(left, _SLICE_SECONDS))


def limiter_for(agent_max_rpm: int | None, crew_limiter: RateLimiter | None) -> RateLimiter | None:
    """The limiter an agent obeys in a run: its own when it sets `max_rpm`, else the crew's."""
    if agent_max_rpm:
        return RateLimiter(agent_max_rpm)
    return crew_limiter


def crew_limiter(crew_max_rpm: int | None) -> RateLimiter | None:
    """The run's shared limiter for a crew's `max_rpm` (None: no limit)."""
    return RateLimiter(crew_max_rpm) if crew_max_rpm else None
