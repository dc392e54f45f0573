"""Results of a run: `UsageMetrics`, `TaskOutput` and `CrewOutput`, with CrewAI's names."""

from __future__ import annotations

import json
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


class TaskOutput(BaseModel):
    """What one task produced.

    Attributes:
        description: The task's description, placeholders filled.
        name: The task's name, if it has one.
        expected_output: The expected output, placeholders filled.
        summary: The first words of the description.
        raw: The agent's final answer.
        agent: The role of the agent that did the task.
        output_format: "raw", "json" (output_json) or "pydantic" (output_pydantic).
        json_dict: The answer parsed as a JSON object, when it is one.
        pydantic: The answer as the task's `output_pydantic` model. Dumped with the model's
            own fields; read back from JSON (run history) it is None, since the model class
            is not known there, and the same data stays in `json_dict`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    description: str
    name: str | None = None
    expected_output: str | None = None
    summary: str | None = None
    raw: str = ""
    agent: str = ""
    output_format: str = "raw"
    json_dict: dict[str, Any] | None = None
    pydantic: SerializeAsAny[BaseModel] | None = None

    _keep_models_only = field_validator("pydantic", mode="before")(_models_only)

    def __str__(self) -> str:
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

    def to_dict(self) -> dict[str, Any]:
        """Returns the JSON answer as a dict, or an empty dict when the answer is not JSON."""
        return dict(self.json_dict) if self.json_dict is not None else {}

    def __str__(self) -> str:
        return self.raw


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
