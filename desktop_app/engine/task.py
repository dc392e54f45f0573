"""`Task`: a piece of work for an agent, with CrewAI's fields."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from desktop_app.engine._conditional import skipped_output
from desktop_app.engine._crewai_surface import CrewAIModel
from desktop_app.engine.agent import Agent
from desktop_app.engine.outputs import TaskOutput
from desktop_app.engine.tools import BaseTool

__all__ = ["ConditionalTask", "Task", "TaskOutput"]


class Task(CrewAIModel):
    """A task, as CrewAI's `Task`.

    Takes every parameter of CrewAI 1.15's `Task` and `config=` (a dict, e.g. from
    tasks.yaml, merged under the explicit keywords); parameters CrewDesk does not act on
    warn (`IgnoredSettingWarning`, see `_crewai_surface.IGNORED`).

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
        config: CrewAI's `config`: parameters as a dict, under the explicit keywords.
        id: A unique id (uuid4), as CrewAI's.
        tools: Tools for this task only: when not empty, they replace the agent's tools
            (as CrewAI).
        create_directory: Make `output_file`'s folder when it is missing (else a missing
            folder fails the task).
        markdown: Ask the agent to answer in Markdown (CrewAI's instruction).
        max_retries: CrewAI's deprecated name of `guardrail_max_retries`.
        guardrails: Guardrails run in order before `guardrail`, each on the output the one
            before accepted (a function or a requirement, as `guardrail`); the first refusal
            makes the agent try again, up to `guardrail_max_retries` times in all.
        output: The output of the latest run of this task (set when it finishes, as CrewAI).
    """

    model_config = ConfigDict(
        arbitrary_types_allowed=True, validate_assignment=True, defer_build=True
    )
    crewai_class: ClassVar[str] = "Task"

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
    config: dict[str, Any] | None = None
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    tools: list[BaseTool] = Field(default_factory=list)
    create_directory: bool = True
    markdown: bool = False
    max_retries: int | None = Field(default=None, ge=0)
    guardrails: list[Callable[[TaskOutput], Any] | str] | None = None
    output: TaskOutput | None = None

    @field_validator("tools", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("guardrails", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: Any) -> Any:
        return [value] if callable(value) or isinstance(value, str) else value

    @field_validator("async_execution", "human_input", "markdown", "create_directory", mode="before")
    @classmethod
    def _none_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name is not None:
            return cls.model_fields[info.field_name].default
        return value

    @model_validator(mode="after")
    def _one_output_model(self) -> Task:
        if self.output_pydantic is not None and self.output_json is not None:
            raise ValueError("Only one output format can be set: output_pydantic or output_json.")
        if self.max_retries is not None:
            warnings.warn(
                "Task: the 'max_retries' parameter is deprecated (as in CrewAI); "
                "use 'guardrail_max_retries' instead.",
                DeprecationWarning,
                stacklevel=2,
            )
            self.__dict__["guardrail_max_retries"] = self.max_retries
            self.__dict__["max_retries"] = None
        return self

    def owner_label(self) -> str:
        """How messages name this task: "Task 'name'" or its description's first words."""
        if self.name:
            return f"Task '{self.name}'"
        text = " ".join(self.description.split())
        return f"Task '{text[:40]}...'" if len(text) > 40 else f"Task '{text}'"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


class ConditionalTask(Task):
    """CrewAI's `ConditionalTask`: runs only when `condition` holds of the previous task's
    output; otherwise the run skips it and its output is empty (`get_skipped_task_output`).

    As CrewAI, a crew refuses one as its first task, a crew of only conditional tasks, and an
    asynchronous one. The previous output is the output of the task just before it in the
    crew (a skipped one's empty output included), once every earlier task has finished.

    Attributes:
        condition: A function of the previous task's `TaskOutput`; true runs the task.
    """

    condition: Callable[[TaskOutput], Any] | None = None

    def __init__(self, condition: Callable[[TaskOutput], Any] | None = None, **data: Any) -> None:
        super().__init__(**{**data, "condition": condition})  # condition may come first

    def should_execute(self, context: TaskOutput) -> bool:
        """Whether the task runs after a task whose output is `context` (CrewAI's name).

        Raises:
            ValueError: The task has no condition (CrewAI's message).
        """
        if self.condition is None:
            raise ValueError("No condition function set for conditional task")
        return bool(self.condition(context))

    def get_skipped_task_output(self) -> TaskOutput:
        """The output of the task when it is skipped, as CrewAI's: an empty raw answer."""
        return skipped_output(self.description, self.agent.role if self.agent else "")

