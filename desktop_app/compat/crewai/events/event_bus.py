"""`crewai.events.event_bus`: `crewai_event_bus`, CrewAI's event bus, fed by the engine's.

    from crewai.events import crewai_event_bus, TaskCompletedEvent

    @crewai_event_bus.on(TaskCompletedEvent)
    def on_task_done(source, event):
        print(event.output.raw)

While it has handlers, the bus subscribes to `desktop_app.engine.bus` and turns each run
event into CrewAI's events (see `_translate`). Handlers are called in the run's thread, in
the order they were registered (`async def` handlers on a loop of the bus's own thread); a
handler's exception is logged and never breaks the run. `source` and the events' `crew`,
`task` and `agent` are stand-ins carrying the names CrewDesk's events have (`source.name`,
`event.agent.role`, `event.task.description`), not the objects themselves. Registering for an
event class of CrewAI's that CrewDesk never emits warns
(a project's own event classes, which it emits itself, do not) (`IgnoredSettingWarning`) instead of waiting silently.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from desktop_app.compat.crewai.events._event_types import BaseEvent, is_never_emitted
from desktop_app.compat.crewai.events._translate import Translator, source_of
from desktop_app.engine import bus
from desktop_app.engine.errors import IgnoredSettingWarning
from desktop_app.engine.events import RunEvent

log = logging.getLogger("desktop_app.compat.events")

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)


class CrewAIEventsBus:
    """CrewAI's event bus: handlers by event class, fed by the engine's process bus."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._handlers: dict[type[BaseEvent], tuple[Handler, ...]] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._translator = Translator()
        self._loop: asyncio.AbstractEventLoop | None = None

    def on(self, event_type: type[BaseEvent], depends_on: Any = None) -> Callable[[H], H]:
        """A decorator registering a handler `(source, event)` for `event_type`."""

        def decorator(handler: H) -> H:
            self.register_handler(event_type, handler)
            return handler

        return decorator

    def register_handler(self, event_type: type[BaseEvent], handler: Handler) -> None:
        """Registers `handler` for events of exactly `event_type` (as CrewAI)."""
        if is_never_emitted(event_type):
            warnings.warn(
                IgnoredSettingWarning(
                    f"crewai_event_bus.on({event_type.__name__}): CrewDesk never emits "
                    f"{event_type.__name__}, so {getattr(handler, '__name__', 'the handler')!r} "
                    "will not be called"
                ),
                stacklevel=3,
            )
        with self._lock:
            self._handlers[event_type] = (*self._handlers.get(event_type, ()), handler)
            if self._unsubscribe is None:
                self._unsubscribe = bus.subscribe(self._on_run_event)

    def off(self, event_type: type[BaseEvent], handler: Handler) -> None:
        """Unregisters a handler (nothing happens when it was not registered)."""
        with self._lock:
            left = tuple(h for h in self._handlers.get(event_type, ()) if h is not handler)
            if left:
                self._handlers[event_type] = left
            else:
                self._handlers.pop(event_type, None)
            self._unsubscribe_when_idle()

    @contextmanager
    def scoped_handlers(self) -> Iterator[None]:
        """Handlers registered inside the block are removed at its end; those registered
        before are set aside meanwhile (as CrewAI's)."""
        with self._lock:
            saved = dict(self._handlers)
            self._handlers.clear()
            self._unsubscribe_when_idle()
        try:
            yield
        finally:
            with self._lock:
                self._handlers = saved
                self._unsubscribe_when_idle()
                if self._handlers and self._unsubscribe is None:
                    self._unsubscribe = bus.subscribe(self._on_run_event)

    def emit(self, source: Any, event: BaseEvent) -> None:
        """Gives `event` to the handlers of its class (also for events a project makes)."""
        with self._lock:
            handlers = self._handlers.get(type(event), ())
        for handler in handlers:
            self._call(handler, source, event)

    def flush(self, timeout: float | None = 30.0) -> bool:
        """CrewAI's flush: handlers have run when `emit` returns, so there is nothing to wait
        for."""
        return True

    def validate_dependencies(self) -> None:
        """CrewAI checks handler dependencies here; CrewDesk calls handlers in order."""

    def _unsubscribe_when_idle(self) -> None:
        if not self._handlers and self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_run_event(self, event: RunEvent) -> None:
        with self._lock:
            if not self._handlers:
                return
        for translated in self._translator.translate(event):
            self.emit(source_of(translated), translated)

    def _call(self, handler: Handler, source: Any, event: BaseEvent) -> None:
        try:
            args: tuple[Any, ...] = (source, event)
            if _takes_three(handler):
                args = (source, event, None)
            if inspect.iscoroutinefunction(handler):
                asyncio.run_coroutine_threadsafe(handler(*args), self._async_loop())
            else:
                handler(*args)
        except Exception:
            log.exception("a crewai_event_bus handler failed on %s", type(event).__name__)

    def _async_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="crewai-event-bus", daemon=True
                ).start()
                self._loop = loop
            return self._loop


def _takes_three(handler: Handler) -> bool:
    try:
        parameters = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3


crewai_event_bus = CrewAIEventsBus()
"""The process's CrewAI event bus."""

__all__ = ["CrewAIEventsBus", "crewai_event_bus"]
