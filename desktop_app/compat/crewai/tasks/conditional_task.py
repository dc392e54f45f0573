"""`crewai.tasks.conditional_task`: `ConditionalTask`, which CrewDesk does not run yet.

The class exists so that projects importing it load; making one raises a clear error
(CrewDesk's engine has no way to skip a task on a condition yet), never a silent run of a
task that should have been skipped.
"""

from __future__ import annotations

from typing import Any

from desktop_app.compat._hook import DOCS
from desktop_app.engine import Task


class ConditionalTask(Task):
    """CrewAI's task that runs only when `condition(previous_output)` is true.

    Raises:
        NotImplementedError: Always, when made: CrewDesk cannot skip tasks yet.
    """

    def __init__(self, condition: Any = None, **data: Any) -> None:
        description = str(data.get("description", ""))[:60]
        raise NotImplementedError(
            f"ConditionalTask ({description!r}) is not supported by CrewDesk yet: its task "
            "would run whatever the condition says. Use a plain Task, or split the crew in two "
            f"and kick off the second one only when your condition holds. See {DOCS}."
        )


__all__ = ["ConditionalTask"]
