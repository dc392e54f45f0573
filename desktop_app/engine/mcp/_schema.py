"""A pydantic model of an MCP tool's arguments, from the JSON schema the server gives.

The model sees the server's schema itself (`McpTool.openai_schema`); this model checks the
model's arguments before the call, so a wrong call goes back to the model with pydantic's
message instead of reaching the server. Top-level properties get real types (strings,
numbers, booleans, enums, lists, objects); anything deeper is passed through as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

_TYPES: dict[str, Any] = {
    "string": str, "integer": int, "number": float, "boolean": bool,
    "array": list[Any], "object": dict[str, Any], "null": type(None),
}


def _annotation(prop: Mapping[str, Any]) -> Any:
    enum = prop.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(v, str | int | bool) for v in enum):
        return Literal[tuple(enum)]
    kind = prop.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    found = [_TYPES[k] for k in kinds if isinstance(k, str) and k in _TYPES]
    if not found or len(found) != len(kinds):
        return Any
    annotation = found[0]
    for other in found[1:]:
        annotation = annotation | other
    return annotation


def model_from_schema(name: str, schema: Mapping[str, Any]) -> type[BaseModel]:
    """A model of `schema`'s top-level properties; other keys are let through.

    Args:
        name: The model's class name.
        schema: The tool's `inputSchema` (a JSON schema of an object).
    """
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    required = set(schema.get("required") or [])
    fields: dict[str, Any] = {}
    for index, (key, raw) in enumerate(properties.items()):
        prop = raw if isinstance(raw, Mapping) else {}
        annotation = _annotation(prop)
        description = prop.get("description") if isinstance(prop.get("description"), str) else None
        if key in required:
            default: Any = ...
        else:
            default = prop.get("default")
            annotation = annotation | None if annotation is not Any else Any
        field_name = key if key.isidentifier() and not key.startswith("_") else f"field_{index}"
        fields[field_name] = (annotation, Field(default, alias=key, description=description))
    config = ConfigDict(extra="allow", populate_by_name=True)
    return create_model(name, __config__=config, **fields)


def clean_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema as a function's parameters: always an object, without a title."""
    cleaned = {key: value for key, value in schema.items() if key not in ("title", "$schema")}
    cleaned.setdefault("type", "object")
    cleaned.setdefault("properties", {})
    return cleaned
