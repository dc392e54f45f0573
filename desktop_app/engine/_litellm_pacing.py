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
"""

from __future__ import annotations

import asyncio
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


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SetupGate] = (
    weakref.WeakKeyDictionary()
)


async def setup_turn() -> None:
    """Waits for this call's turn to start litellm's setup on the running loop."""
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = SetupGate(loop, SETUPS_PER_ITERATION)
    await gate.turn()
