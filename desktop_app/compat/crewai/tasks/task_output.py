"""`crewai.tasks.task_output`: `TaskOutput` (the engine's own class)."""

from desktop_app.compat.crewai.tasks.output_format import OutputFormat
from desktop_app.engine import TaskOutput

__all__ = ["OutputFormat", "TaskOutput"]
