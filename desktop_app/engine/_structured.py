"""Structured task output (`output_pydantic`, `output_json`): instructions and validation.

The provider is asked for the model through its structured output (`response_format`, as
CrewAI 1.15 does), and the prompt also carries the schema for providers that ignore it. The
answer's JSON object is found in the text (alone, in a code fence, or inside a sentence) and
validated against the task's pydantic model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from desktop_app.engine.outputs import parse_json_object

OutputFormat = Literal["raw", "json", "pydantic"]

_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_NAME_LIMIT = 64
"""OpenAI's limits on a `json_schema` name: these characters, at most 64 of them."""


@dataclass(frozen=True, slots=True)
class Converted:
    """An answer read against the task's output model.

    Attributes:
        pydantic: The model instance (`output_pydantic` tasks).
        json_dict: The validated object (`output_json` tasks), or for raw tasks the answer
            parsed as a JSON object when it is one.
        error: Why the answer does not fit the model, or None.
    """

    pydantic: BaseModel | None = None
    json_dict: dict[str, Any] | None = None
    error: str | None = None


def wanted_model(
    output_pydantic: type[BaseModel] | None, output_json: type[BaseModel] | None
) -> tuple[OutputFormat, type[BaseModel] | None]:
    """The task's output format and its model."""
    if output_pydantic is not None:
        return "pydantic", output_pydantic
    if output_json is not None:
        return "json", output_json
    return "raw", None


def format_instructions(model: type[BaseModel]) -> str:
    """What the prompt says about the format of a structured answer."""
    schema = json.dumps(model.model_json_schema())
    return (
        "Your final answer must be only a JSON object that fits this JSON schema, without "
        f"code fences or other text: {schema}"
    )


def response_format(model: type[BaseModel]) -> dict[str, Any]:
    """The `json_schema` response format that asks a provider for `model`.

    Not `strict`: OpenAI's strict mode refuses ordinary pydantic schemas (optional fields,
    free-form dicts), and the answer is validated against the model here anyway.
    """
    name = _NOT_IN_NAME.sub("_", model.__name__).strip("_")[:_NAME_LIMIT] or "output"
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": model.model_json_schema()},
    }


def extract_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text`: the whole text, a fenced block, or inside prose."""
    whole = parse_json_object(text)
    if whole is not None:
        return whole
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


def convert(raw: str, kind: OutputFormat, model: type[BaseModel] | None) -> Converted:
    """Reads `raw` as the task's structured output."""
    if model is None:
        return Converted(json_dict=parse_json_object(raw))
    found = extract_json_object(raw)
    if found is None:
        return Converted(error="the answer holds no JSON object")
    try:
        instance = model.model_validate(found)
    except ValidationError as exc:
        return Converted(error=describe_validation_error(exc))
    if kind == "pydantic":
        return Converted(pydantic=instance, json_dict=instance.model_dump(mode="json"))
    return Converted(json_dict=instance.model_dump(mode="json"))


def describe_validation_error(exc: ValidationError) -> str:
    """A one-line account of a validation error, for the model and for people."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(root)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
