"""Pacing of litellm's per-call setup on the event loop (private to `llm.py`).

`litellm.acompletion` builds each request synchronously (3-5 ms of CPU here) through
`loop.run_in_executor(None, ...)`. When hundreds of calls start in the same loop iteration,
hundreds of setups land on the default executor's threads at once, and those threads fight
the loop thread for the GIL: the loop stalled for up to 0.6-1.8 s (a 5 ms sleeper's lateness)
with 200 crews, and every open stream slowed with it.

`setup_turn()` lets one call per loop iteration start its setup; the others wait their turn
in arrival order. Between two setups the loop serves the streams already open, so its lag
stays in the tens of milliseconds while the total work, CPU-bound, takes no longer.

Measured with 200 streaming crews on 2 cores (benchmarks/engine_concurrency.py; figures in
benchmarks/README.md): loop lag max 570-1,800 ms without pacing, 30-130 ms with one setup per
iteration; two per iteration gave 150-190 ms. Running litellm's setup inline on the loop (a
default executor whose `submit` ran that one job in place) gave no measurable gain over
pacing alone and would have replaced the application's default executor, so it was dropped.

`native_turn()` and `crew_start_turn()` are the same gate for the native clients' sends and
for crews beginning (`Crew.akickoff`), each with its own width per iteration.

`provider_limit()` caps the requests open at once to one provider (route + base URL), so a
batch of 200 crews on a rate-limited provider queues here instead of storming it: a call holds
its slot from the request to the end of its stream, and gives it back while it backs off.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import deque

SETUPS_PER_ITERATION = 1
"""How many calls may start litellm's setup in one event-loop iteration."""


class SetupGate:
    """Lets at most `per_iteration` waiters through per loop iteration, first come first served."""

    def __init__(self, loop: asyncio.AbstractEventLoop, per_iteration: int) -> None:
        self._loop = loop
        self._per_iteration = per_iteration
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._pumping = False

    async def turn(self) -> None:
        """Waits until this caller may start its setup."""
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._waiters.append(waiter)
        if not self._pumping:
            self._pumping = True
            self._loop.call_soon(self._pump)
        await waiter

    def _pump(self) -> None:
        """Releases the next waiters, then runs again next iteration while any are left."""
        released = 0
        while self._waiters and released < self._per_iteration:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a cancelled caller gives its turn to the next one
                waiter.set_result(None)
                released += 1
        if self._waiters:
            self._loop.call_soon(self._pump)
        else:
            self._pumping = False


_gates: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, SetupGate]
] = weakref.WeakKeyDictionary()


def _gate(name: str, per_iteration: int) -> SetupGate:
    loop = asyncio.get_running_loop()
    gates = _gates.get(loop)
    if gates is None:
        gates = _gates[loop] = {}
    gate = gates.get(name)
    if gate is None:
        gate = gates[name] = SetupGate(loop, per_iteration)
    return gate


async def setup_turn() -> None:
    """Waits for this call's turn to start litellm's setup on the running loop."""
    await _gate("litellm", SETUPS_PER_ITERATION).turn()


NATIVE_SENDS_PER_ITERATION = 1
"""How many native calls may send their request in one loop iteration. A send is cheap
(about 50 us of CPU through `_http_lite`), but 200 of them in one iteration were one stall of
the loop; 1 and 4 per iteration gave the same wall time for 200 and 1,000 crews within noise
(benchmarks/llm_crowd.py)."""

CREW_STARTS_PER_ITERATION = 8
"""How many crews may begin in one loop iteration (`Crew.akickoff`). A crew's start (its run
state, approvals, prepared tasks, first events) is 0.3-0.4 ms of CPU before its first wait:
1,000 crews gathered at once stalled the loop 400 ms in one iteration, 200 crews 65 ms; 8 per
iteration keeps each iteration to a few ms and starts 1,000 crews within the first token's
0.5 s wait (benchmarks/README.md, "Many crews at once")."""


async def native_turn() -> None:
    """Waits for this native call's turn to send its request on the running loop."""
    await _gate("native", NATIVE_SENDS_PER_ITERATION).turn()


async def crew_start_turn() -> None:
    """Waits for this crew's turn to begin on the running loop (`Crew.akickoff`)."""
    await _gate("crew", CREW_STARTS_PER_ITERATION).turn()


# --- per-provider concurrency limit ---------------------------------------------------------

DEFAULT_MAX_CONCURRENCY = 256
"""Requests one provider (model route + base URL) may have open at once, by default.

Above the 200 crews the engine is measured with at once (benchmarks/engine_concurrency.py), so
that target keeps every call in flight; a batch of 1,000 goes in waves. The dashboard limits
runs itself (Settings' `concurrency_limit`); a rate-limited provider wants `max_concurrency`."""


class _Waiter:
    """One caller waiting for a slot: an asyncio future on its loop, or a thread's event."""

    __slots__ = ("event", "future", "granted", "limit", "loop")

    def __init__(self, limit: int, loop: asyncio.AbstractEventLoop | None) -> None:
        self.limit = limit
        self.loop = loop
        self.future: asyncio.Future[None] | None = loop.create_future() if loop else None
        self.event: threading.Event | None = None if loop else threading.Event()
        self.granted = False

    def wake(self) -> None:
        """Tells the waiter its slot is ready (from any thread)."""
        self.granted = True
        if self.event is not None:
            self.event.set()
        elif self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(_resolve, self.future)


def _resolve(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


class ProviderLimit:
    """How many requests to one provider are open, shared by every loop and thread.

    `kickoff_async` and `kickoff` run their calls on private loops in worker threads, so an
    `asyncio.Semaphore` (bound to one loop) would not count them: this counter is guarded by a
    thread lock and wakes asyncio waiters with `call_soon_threadsafe`. Waiters are served first
    come, first served; each brings its own limit (the `LLM`'s `max_concurrency`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: deque[_Waiter] = deque()
        self.active = 0
        self.max_active = 0

    async def acquire(self, limit: int) -> None:
        """Waits for a slot on the running loop; a cancelled waiter gives its slot back."""
        with self._lock:
            if not self._waiters and self.active < limit:
                self._take()
                return
            waiter = _Waiter(limit, asyncio.get_running_loop())
            self._waiters.append(waiter)
        assert waiter.future is not None
        try:
            await waiter.future
        except BaseException:
            with self._lock:
                granted = waiter.granted
                if not granted:
                    self._waiters.remove(waiter)
            if granted:
                self.release()
            raise

    def acquire_blocking(self, limit: int) -> None:
        """Blocks this thread until a slot is free (the `kickoff` path)."""
        with self._lock:
            if not self._waiters and self.active < limit:
                self._take()
                return
            waiter = _Waiter(limit, None)
            self._waiters.append(waiter)
        assert waiter.event is not None
        waiter.event.wait()

    def release(self) -> None:
        """Gives a slot back and hands free slots to the next waiters."""
        with self._lock:
            self.active -= 1
            while self._waiters and self.active < self._waiters[0].limit:
                waiter = self._waiters.popleft()
                self._take()
                waiter.wake()

    def _take(self) -> None:
        self.active += 1
        self.max_active = max(self.max_active, self.active)


_limits: dict[tuple[str, str], ProviderLimit] = {}
_limits_lock = threading.Lock()


def provider_limit(provider: str, base_url: str | None) -> ProviderLimit:
    """The shared limit of one provider at one base URL."""
    key = (provider, base_url or "")
    with _limits_lock:
        limit = _limits.get(key)
        if limit is None:
            limit = _limits[key] = ProviderLimit()
        return limit
