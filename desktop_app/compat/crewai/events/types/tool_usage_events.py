"""`crewai.events.types.tool_usage_events`: CrewAI's tool_usage_events classes (see `crewai.events`)."""

from desktop_app.compat.crewai.events import (
    ToolUsageErrorEvent,
    ToolUsageEvent,
    ToolUsageFinishedEvent,
    ToolUsageStartedEvent,
)

__all__ = ["ToolUsageErrorEvent", "ToolUsageEvent", "ToolUsageFinishedEvent", "ToolUsageStartedEvent"]
