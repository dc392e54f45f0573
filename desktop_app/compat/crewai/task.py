"""`crewai.task`: CrewAI's `Task` (the engine's own class)."""

from desktop_app.engine import Task, TaskOutput

__all__ = ["Task", "TaskOutput"]
