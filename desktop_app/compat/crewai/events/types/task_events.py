"""`crewai.events.types.task_events`: CrewAI's task_events classes (see `crewai.events`)."""

from desktop_app.compat.crewai.events import (
    TaskCompletedEvent,
    TaskFailedEvent,
    TaskStartedEvent,
)

__all__ = ["TaskCompletedEvent", "TaskFailedEvent", "TaskStartedEvent"]
