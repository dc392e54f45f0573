"""`Task`: a piece of work for an agent, with CrewAI's fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from desktop_app.engine.agent import Agent
from desktop_app.engine.outputs import TaskOutput

__all__ = ["Task", "TaskOutput"]


class Task(BaseModel):
    """A task, as CrewAI's `Task`.

    Attributes:
        description: What to do; may hold `{placeholders}`.
        expected_output: What a good answer looks like; may hold `{placeholders}`.
        agent: Who does it. In a hierarchical crew it may be None (the manager picks among
            all the crew's agents); when set, it is the only coworker the manager may use.
        name: A short name, shown in streams and outputs.
        context: Tasks whose outputs this one sees. None (the default) means every earlier
            task's output in a sequential crew (for an async task: the earlier ones already
            finished when it starts); an empty list means none.
        async_execution: Runs alongside the tasks that follow, until a later task needs its
            output or the crew ends.
        output_pydantic: A pydantic model the answer must fit; fills `TaskOutput.pydantic`.
        output_json: A pydantic model the answer must fit; fills `TaskOutput.json_dict`.
        output_file: A path (may hold `{placeholders}`) the raw answer is written to.
        guardrail: A function of the `TaskOutput` (sync or async) returning `(True, value)`
            to accept, where a value other than the answer replaces it, or `(False, error)`
            to make the agent try again with the error. Or a requirement as text, which the
            agent's model checks the answer against.
        guardrail_max_retries: Retries after the guardrail refuses an answer.
        callback: Called (or awaited) with the `TaskOutput` when the task is done.
        human_input: After the answer, a person is asked for feedback (the crew's
            `human_input_handler`, else stdin); the agent revises until the feedback is
            empty. In a hierarchical crew the manager revises.
    """

    model_config = ConfigDict(
        arbitrary_types_allowed=True, validate_assignment=True, defer_build=True
    )

    description: str
    expected_output: str
    agent: Agent | None = None
    name: str | None = None
    context: list[Task] | None = None
    async_execution: bool = False
    output_pydantic: type[BaseModel] | None = None
    output_json: type[BaseModel] | None = None
    output_file: str | None = None
    guardrail: Callable[[TaskOutput], Any] | str | None = None
    guardrail_max_retries: int = Field(default=3, ge=0)
    callback: Callable[[TaskOutput], Any] | None = None
    human_input: bool = False

    @model_validator(mode="after")
    def _one_output_model(self) -> Task:
        if self.output_pydantic is not None and self.output_json is not None:
            raise ValueError("Only one output format can be set: output_pydantic or output_json.")
        return self

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other
