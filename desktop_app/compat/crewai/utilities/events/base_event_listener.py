"""`crewai.utilities.events.base_event_listener`: the old path of `BaseEventListener`."""

from desktop_app.compat.crewai.events.base_event_listener import BaseEventListener

__all__ = ["BaseEventListener"]
