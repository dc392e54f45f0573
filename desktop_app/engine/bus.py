"""The process-wide event bus: every event of every run, for whoever subscribes.

A run gives each of its events to its own listener (the stream of `stream_events`, a
streaming kickoff) and, while anyone subscribes here, to every subscriber as well, whatever
the kickoff variant and thread. Subscribers are called from the thread the run is on, in the
order they subscribed; an exception in one is logged and never breaks the run or reaches the
others. With no subscriber a run does not even make its text events (`TextDelta`) unless it
has its own listener, so the bus costs nothing when unused.

`crewdesk run` prints a project's runs from here, and `crewai.events` adapts it to CrewAI's
listeners.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from desktop_app.engine.events import RunEvent

__all__ = ["Listener", "active", "publish", "subscribe"]

Listener = Callable[[RunEvent], None]

log = logging.getLogger("desktop_app.engine.bus")

_lock = threading.Lock()
_listeners: tuple[Listener, ...] = ()


def subscribe(listener: Listener) -> Callable[[], None]:
    """Gives `listener` every event of every run from now on.

    Returns:
        A function that unsubscribes it (calling it again does nothing).
    """
    global _listeners
    entry: list[Listener] = [listener]
    # A tuple of one list per subscription, so one function subscribed twice is two entries.
    wrapped: Listener = lambda event: entry[0](event)  # noqa: E731 - identity per subscription
    with _lock:
        _listeners = (*_listeners, wrapped)

    def unsubscribe() -> None:
        global _listeners
        with _lock:
            _listeners = tuple(one for one in _listeners if one is not wrapped)

    return unsubscribe


def active() -> bool:
    """Whether anyone subscribes (read without a lock: a tuple swap is atomic)."""
    return bool(_listeners)


def publish(event: RunEvent) -> None:
    """Gives `event` to every subscriber; a subscriber's error is logged, never raised."""
    for listener in _listeners:
        try:
            listener(event)
        except Exception:
            log.exception("an event-bus subscriber failed on a %s event", event.kind)
