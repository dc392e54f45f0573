"""`crewai.tasks.conditional_task`: `ConditionalTask`, a task that runs only when its
condition holds of the previous task's output (the engine's `ConditionalTask`)."""

from desktop_app.engine import ConditionalTask

__all__ = ["ConditionalTask"]
