"""`crewai.utilities.events.crewai_event_bus`: the old path of the event bus."""

from desktop_app.compat.crewai.events.event_bus import CrewAIEventsBus, crewai_event_bus

__all__ = ["CrewAIEventsBus", "crewai_event_bus"]
