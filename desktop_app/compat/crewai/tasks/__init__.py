"""`crewai.tasks`: `TaskOutput` and `OutputFormat`."""

from desktop_app.compat.crewai.tasks.output_format import OutputFormat
from desktop_app.engine import TaskOutput

__all__ = ["OutputFormat", "TaskOutput"]
