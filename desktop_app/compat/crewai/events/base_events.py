"""`crewai.events.base_events`: `BaseEvent`."""

from desktop_app.compat.crewai.events._event_types import BaseEvent

__all__ = ["BaseEvent"]
