"""Which streamed flow run an event of the bus belongs to: one bus subscriber for them all.

A streamed flow (`run_events`, `stream_events`, `astream`, `Flow(stream=True)`) wants its own
events and those of the crews its steps kick off. A bus subscriber per streamed flow would
hand every event of every run to every one of them (100 flows at once: 100 calls per event,
measured 1.7x the wall time of unstreamed flows and 450 ms of loop lag). Instead one
subscriber, made while any streamed flow runs, looks each event's run id up in a dict: the
flow's run id, and each crew's as its `FlowCrewStarted` names it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from desktop_app.engine import bus
from desktop_app.engine import events as ev

__all__ = ["route"]

Emit = Callable[[ev.RunEvent], None]

_lock = threading.Lock()
_routes: dict[str, Emit] = {}
_owned: dict[str, set[str]] = {}
_unsubscribe: Callable[[], None] | None = None


def _on_event(event: ev.RunEvent) -> None:
    """Gives `event` to the streamed flow it belongs to, if any (any thread)."""
    emit = _routes.get(event.run_id)  # a dict read is atomic: no lock on the hot path
    if emit is None:
        return
    if isinstance(event, ev.FlowCrewStarted):
        with _lock:
            if event.run_id in _owned:
                _owned[event.run_id].add(event.crew_run_id)
                _routes[event.crew_run_id] = emit
    emit(event)


def route(run_id: str, emit: Emit) -> Callable[[], None]:
    """Sends the events of flow run `run_id`, and of the crews its steps kick off, to `emit`.

    Returns:
        A function that stops it (calling it again does nothing).
    """
    global _unsubscribe
    with _lock:
        _owned[run_id] = {run_id}
        _routes[run_id] = emit
        if _unsubscribe is None:
            _unsubscribe = bus.subscribe(_on_event)

    def stop() -> None:
        global _unsubscribe
        with _lock:
            for one in _owned.pop(run_id, set()):
                _routes.pop(one, None)
            if not _owned and _unsubscribe is not None:
                _unsubscribe()
                _unsubscribe = None

    return stop
