"""`crewai.events.types.crew_events`: CrewAI's crew_events classes (see `crewai.events`)."""

from desktop_app.compat.crewai.events import (
    CrewBaseEvent,
    CrewKickoffCompletedEvent,
    CrewKickoffFailedEvent,
    CrewKickoffStartedEvent,
)

__all__ = ["CrewBaseEvent", "CrewKickoffCompletedEvent", "CrewKickoffFailedEvent", "CrewKickoffStartedEvent"]
