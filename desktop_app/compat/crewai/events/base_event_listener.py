"""`crewai.events.base_event_listener`: `BaseEventListener`, as CrewAI's.

Subclass it and register handlers in `setup_listeners(crewai_event_bus)`; making an
instance registers them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from desktop_app.compat.crewai.events.event_bus import CrewAIEventsBus, crewai_event_bus


class BaseEventListener(ABC):
    """A set of handlers, registered when the listener is made."""

    verbose: bool = False

    def __init__(self) -> None:
        super().__init__()
        self.setup_listeners(crewai_event_bus)
        crewai_event_bus.validate_dependencies()

    @abstractmethod
    def setup_listeners(self, crewai_event_bus: CrewAIEventsBus) -> None:
        """Registers handlers with `@crewai_event_bus.on(EventClass)`."""


__all__ = ["BaseEventListener"]
