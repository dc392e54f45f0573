"""`RunGate` (the concurrency limit) when waiting runs are cancelled together with the one inside."""

from __future__ import annotations

import asyncio

from desktop_app.ui.controllers._gate import RunGate


async def _hold(gate: RunGate, inside: asyncio.Event, release: asyncio.Event) -> None:
    async with gate:
        inside.set()
        await release.wait()


def test_stopping_every_run_at_once_leaves_no_error_and_an_empty_gate() -> None:
    async def scenario() -> list[BaseException | None]:
        gate = RunGate(1)
        inside, release = asyncio.Event(), asyncio.Event()
        first = asyncio.ensure_future(_hold(gate, inside, release))
        await inside.wait()
        queued = [asyncio.ensure_future(_hold(gate, asyncio.Event(), release)) for _ in range(3)]
        await asyncio.sleep(0)
        assert gate.waiting == 3
        for task in [first, *queued]:  # as "Stop all" does: the run inside goes first
            task.cancel()  # the queued runs' waiters are cancelled now, handled later
        results = await asyncio.gather(first, *queued, return_exceptions=True)
        assert (gate.inside, gate.waiting) == (0, 0)
        release.set()
        await asyncio.wait_for(_hold(gate, asyncio.Event(), release), 1)  # in at once
        return [None if isinstance(r, asyncio.CancelledError) else r for r in results]

    assert asyncio.run(scenario()) == [None, None, None, None]
