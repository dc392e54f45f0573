"""Results of a run: `UsageMetrics`, `TaskOutput` and `CrewOutput`, with CrewAI's names."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, field_validator


def _models_only(value: object) -> object:
    """Keeps a model instance; anything else (a dict read back from JSON) becomes None."""
    return value if isinstance(value, BaseModel) else None


class UsageMetrics(BaseModel):
    """Tokens and requests that the provider reported for one run.

    Attributes:
        total_tokens: Prompt plus completion tokens.
        prompt_tokens: Tokens sent to the model.
        cached_prompt_tokens: Prompt tokens the provider served from its cache.
        completion_tokens: Tokens the model produced.
        successful_requests: LLM calls that completed.
    """

    model_config = ConfigDict(defer_build=True)

    total_tokens: int = 0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    completion_tokens: int = 0
    successful_requests: int = 0

    def add(self, other: UsageMetrics) -> None:
        """Adds another count to this one, in place."""
        self.total_tokens += other.total_tokens
        self.prompt_tokens += other.prompt_tokens
        self.cached_prompt_tokens += other.cached_prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.successful_requests += other.successful_requests


class OutputFormat(StrEnum):
    """A task's output format, as CrewAI's `crewai.tasks.output_format.OutputFormat`."""

    JSON = "json"
    PYDANTIC = "pydantic"
    RAW = "raw"


class TaskOutput(BaseModel):
    """What one task produced.

    Attributes:
        description: The task's description, placeholders filled.
        name: The task's name, else its description (as CrewAI).
        expected_output: The expected output, placeholders filled.
        summary: The first words of the description.
        raw: The agent's final answer.
        agent: The role of the agent that did the task.
        output_format: `OutputFormat.RAW`, `.JSON` (output_json) or `.PYDANTIC`
            (output_pydantic); equal to the strings "raw", "json", "pydantic".
        json_dict: The answer parsed as a JSON object, when it is one.
        pydantic: The answer as the task's `output_pydantic` model. Dumped with the model's
            own fields; read back from JSON (run history) it is None, since the model class
            is not known there, and the same data stays in `json_dict`.
        messages: CrewAI's conversation of the task (CrewDesk keeps it empty: the run's
            events carry the conversation).
        tool_failures: CrewAI's record of failed tool calls (CrewDesk keeps it empty: failed
            calls are `ToolCallFinished` events with `is_error`).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    description: str
    name: str | None = None
    expected_output: str | None = None
    summary: str | None = None
    raw: str = ""
    agent: str = ""
    output_format: OutputFormat = OutputFormat.RAW
    json_dict: dict[str, Any] | None = None
    pydantic: SerializeAsAny[BaseModel] | None = None
    messages: list[dict[str, Any]] = Field(default_factory=list)
    tool_failures: list[dict[str, Any]] = Field(default_factory=list)

    _keep_models_only = field_validator("pydantic", mode="before")(_models_only)

    @property
    def json(self) -> str | None:  # type: ignore[override]  # CrewAI's property, not pydantic v1's
        """The JSON answer as text (CrewAI: only for an `output_json` task).

        Raises:
            ValueError: The task has no `output_json`.
        """
        if self.output_format != OutputFormat.JSON:
            raise ValueError(
                "Invalid output format requested. If you would like to access the JSON "
                "output, please make sure to set the output_json property for the task"
            )
        return json.dumps(self.json_dict)

    @property
    def has_tool_failures(self) -> bool:
        """Whether a tool failure was recorded (see `tool_failures`)."""
        return bool(self.tool_failures)

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer, else the pydantic answer, as a dict (CrewAI's); empty otherwise."""
        if self.json_dict:
            return dict(self.json_dict)
        if self.pydantic is not None:
            return self.pydantic.model_dump()
        return {}

    def __str__(self) -> str:
        if self.pydantic is not None:
            return str(self.pydantic)
        if self.json_dict:
            return str(self.json_dict)
        return self.raw


class CrewOutput(BaseModel):
    """What a crew run produced: the last task's answer and every task's output.

    Attributes:
        raw: The final task's answer.
        tasks_output: One `TaskOutput` per task, in order.
        token_usage: Usage of this run alone.
        json_dict: The final answer parsed as a JSON object, when it is one.
        pydantic: The final answer as the last task's `output_pydantic` model (see
            `TaskOutput.pydantic` for how it reads back from JSON).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    raw: str = ""
    tasks_output: list[TaskOutput] = Field(default_factory=list)
    token_usage: UsageMetrics = Field(default_factory=UsageMetrics)
    json_dict: dict[str, Any] | None = None
    pydantic: SerializeAsAny[BaseModel] | None = None

    _keep_models_only = field_validator("pydantic", mode="before")(_models_only)

    @property
    def json(self) -> str | None:  # type: ignore[override]  # CrewAI's property, not pydantic v1's
        """The final JSON answer as text (CrewAI: only when the last task has `output_json`).

        Raises:
            ValueError: The last task has no `output_json`.
        """
        if not self.tasks_output or self.tasks_output[-1].output_format != OutputFormat.JSON:
            raise ValueError(
                "No JSON output found in the final task. Please make sure to set the "
                "output_json property in the final task in your crew."
            )
        return json.dumps(self.json_dict)

    @property
    def usage_metrics(self) -> dict[str, Any]:
        """Token usage as a plain dict (CrewAI's)."""
        return self.token_usage.model_dump()

    @property
    def has_tool_failures(self) -> bool:
        """Whether any task recorded a tool failure."""
        return any(task.tool_failures for task in self.tasks_output)

    def to_dict(self) -> dict[str, Any]:
        """The final JSON answer, else the pydantic answer, as a dict (CrewAI's); empty when
        the answer is plain text."""
        if self.json_dict:
            return dict(self.json_dict)
        if self.pydantic is not None:
            return self.pydantic.model_dump()
        return {}

    def __getitem__(self, key: str) -> Any:
        """A field of the final answer (`output["title"]`), as CrewAI: from the pydantic
        answer, else from the JSON answer.

        Raises:
            KeyError: Neither has it.
        """
        if self.pydantic is not None and hasattr(self.pydantic, key):
            return getattr(self.pydantic, key)
        if self.json_dict and key in self.json_dict:
            return self.json_dict[key]
        raise KeyError(f"Key '{key}' not found in CrewOutput.")

    def __str__(self) -> str:
        if self.pydantic is not None:
            return str(self.pydantic)
        if self.json_dict:
            return str(self.json_dict)
        return self.raw


class LiteAgentOutput(BaseModel):
    """What `Agent.kickoff` returns, as CrewAI's `LiteAgentOutput`.

    Attributes:
        raw: The agent's answer.
        pydantic: The answer as the `response_format` model, when one was asked for.
        agent_role: The agent's role.
        usage_metrics: Token usage of the run, as a plain dict.
        messages: CrewAI's conversation (CrewDesk keeps it empty; see `TaskOutput.messages`).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    raw: str = ""
    pydantic: SerializeAsAny[BaseModel] | None = None
    agent_role: str = ""
    usage_metrics: dict[str, Any] | None = None
    messages: list[dict[str, Any]] = Field(default_factory=list)

    def __str__(self) -> str:
        return str(self.pydantic) if self.pydantic is not None else self.raw


def parse_json_object(text: str) -> dict[str, Any] | None:
    """Parses `text` as a JSON object, also inside a Markdown code fence; None otherwise."""
    body = text.strip()
    if body.startswith("```"):
        body = body.strip("`")
        body = body.removeprefix("json").strip()
    if not body.startswith("{"):
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
