"""A finished call's read timer holds nothing of its caller: under qasync (the app's loop) a
cancelled timer stays until it is due, 600 s by default, and with a copy of the caller's
context it kept each call's run scope (MCP scope, trace parent...) alive that long."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar

import pytest

from desktop_app.engine import LLM
from desktop_app.simulator import Simulator


class _Held:
    """Something a run keeps in a context variable."""


_HELD: ContextVar[_Held | None] = ContextVar("crewdesk_test_held", default=None)


@pytest.mark.asyncio
async def test_a_finished_calls_timer_keeps_nothing_of_the_callers_context(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CREWDESK_HTTP_CLIENT", raising=False)
    llm = LLM("openai/sim:tokens=5", base_url=sim.base_url, api_key="k")

    async def call() -> None:
        _HELD.set(_Held())
        await llm.acall([{"role": "user", "content": "Say hello"}])

    loop = asyncio.get_running_loop()
    await asyncio.ensure_future(call())  # the connection is made (and pooled) once
    # asyncio drops a cancelled timer once it is the next one due; an earlier timer keeps
    # the call's there, as qasync keeps every cancelled timer until it is due
    earlier = loop.call_later(300, lambda: None)
    try:
        await asyncio.ensure_future(call())  # its own context: a task copies it
        timers = loop._scheduled  # type: ignore[attr-defined]  # noqa: SLF001 - what is kept
        kept = [timer for timer in timers if timer.cancelled()]
        assert kept, "the call's read timer is still scheduled (cancelled, not yet due)"
        assert [timer for timer in kept if timer._context.get(_HELD) is not None] == []
    finally:
        earlier.cancel()
