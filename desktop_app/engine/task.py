"""`Task`: a piece of work for an agent, with CrewAI's fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from desktop_app.engine.agent import Agent
from desktop_app.engine.outputs import TaskOutput

__all__ = ["Task", "TaskOutput"]


class Task(BaseModel):
    """A task, as CrewAI's `Task`.

    Attributes:
        description: What to do; may hold `{placeholders}`.
        expected_output: What a good answer looks like; may hold `{placeholders}`.
        agent: Who does it.
        name: A short name, shown in streams and outputs.
        context: Tasks whose outputs this one sees. None (the default) means every earlier
            task's output in a sequential crew; an empty list means none.
    """

    model_config = ConfigDict(
        arbitrary_types_allowed=True, validate_assignment=True, defer_build=True
    )

    description: str
    expected_output: str
    agent: Agent | None = None
    name: str | None = None
    context: list[Task] | None = None

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other
