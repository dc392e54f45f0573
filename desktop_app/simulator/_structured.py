"""Structured answers: JSON made to fit a JSON schema, for output models and forced tools.

A crew whose task has an output model asks for structured output in one of three ways, and
the model answers each with JSON that validates, so ``output_pydantic`` tasks and CrewAI's
planner dry-run on the simulator:

* ``response_format: {"type": "json_schema", "json_schema": {"schema": {...}}}``: the reply
  text is a JSON object that fits the schema;
* ``response_format: {"type": "json_object"}``: the reply text is ``{"answer": "<the text
  the model would have said>"}``;
* ``tool_choice`` forcing one function (``{"type": "function", "function": {"name": ...}}``,
  as instructor sends, or Anthropic's ``{"type": "tool", "name": ...}``), or a sole tool that looks like an output model (its name is its
  parameters' ``title``, or ``json_tool_call`` / ``final_result`` / ``final_answer``): a
  call of that tool whose arguments fit its parameters.

Values come from the schema alone, deterministically: objects get every property, arrays
one or two items (within ``minItems``/``maxItems``), strings name their property and the
question's topic (``"title: Report on tides"``; ``format`` date, date-time, time, email, uri,
uuid and ipv4 get a valid example; ``minLength``/``maxLength`` are kept), integers and
numbers 1 and up (within ``minimum``/``maximum``, exclusive bounds and ``multipleOf``),
booleans true, ``enum`` its first value, ``const`` its value, ``anyOf``/``oneOf`` their first
non-null branch (Optional fields are filled), ``allOf`` its branches merged, and local
``$ref``s (``#/$defs/...``, ``#/definitions/...``, ``#``) are followed. Deep in a recursive
schema, arrays get their minimum size and Optional fields null, so the value stays finite.
``pattern`` is not honoured.
"""

from __future__ import annotations

import math
import re
from typing import Any

JsonObject = dict[str, Any]

OUTPUT_TOOL_NAMES = frozenset({"json_tool_call", "final_result", "final_answer"})
"""Tool names that other libraries give the tool carrying a structured answer."""

_SHALLOW_DEPTH = 4
"""Below this nesting depth, arrays get two items."""

_MIN_DEPTH = 8
"""From this depth on, values are as small as the schema allows (recursive schemas)."""

_MAX_DEPTH = 40
"""Past this depth a value is null: a schema that requires itself has no finite value."""

_FORMATS: dict[str, str] = {
    "date": "2025-01-15",
    "date-time": "2025-01-15T09:30:00Z",
    "time": "09:30:00",
    "duration": "PT1H",
    "email": "{slug}@example.com",
    "idn-email": "{slug}@example.com",
    "uri": "https://example.com/{slug}",
    "url": "https://example.com/{slug}",
    "iri": "https://example.com/{slug}",
    "hostname": "{slug}.example.com",
    "uuid": "00000000-0000-4000-8000-{index:012d}",
    "ipv4": "192.0.2.{index}",
    "ipv6": "2001:db8::{index}",
}
_TOPIC_WORDS = 8
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def response_schema(body: JsonObject) -> tuple[str, JsonObject | None] | None:
    """Read a request's ``response_format``.

    Returns:
        ``("json_schema", schema)``, ``("json_object", None)``, or None for plain text.
    """
    response_format = body.get("response_format")
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return "json_object", None
    if kind != "json_schema":
        return None
    wrapper = response_format.get("json_schema")
    schema = wrapper.get("schema") if isinstance(wrapper, dict) else None
    if not isinstance(schema, dict):
        schema = response_format.get("schema")
    return "json_schema", schema if isinstance(schema, dict) else {}


def forced_function_name(body: JsonObject) -> str | None:
    """The function a ``tool_choice`` forces, or None."""
    choice = body.get("tool_choice")
    if not isinstance(choice, dict):
        return None
    function = choice.get("function")
    name = function.get("name") if isinstance(function, dict) else choice.get("name")
    return name if isinstance(name, str) else None


def looks_like_output_model(function: JsonObject) -> bool:
    """Whether a function carries a structured answer rather than doing work."""
    name = function.get("name")
    parameters = function.get("parameters")
    title = parameters.get("title") if isinstance(parameters, dict) else None
    return name in OUTPUT_TOOL_NAMES or (isinstance(title, str) and title == name)


def topic_of(text: str) -> str:
    """The first words of a question's first line, quoted in generated strings."""
    words = text.strip().split("\n", 1)[0].split()
    return " ".join(words[:_TOPIC_WORDS]).rstrip(" .:,;") or "the task"


def value_for_schema(schema: object, topic: str) -> object:
    """Make a value that validates against ``schema`` (see the module docstring).

    Args:
        schema: A JSON schema (a dict, or a boolean schema).
        topic: Words quoted in generated strings, e.g. the question's first line.
    """
    root = schema if isinstance(schema, dict) else {}
    return _Generator(root, topic).value(schema, "value", 0, 0)


class _Generator:
    """Walks one schema; ``root`` is where local ``$ref``s point."""

    def __init__(self, root: JsonObject, topic: str) -> None:
        self.root = root
        self.topic = topic

    def value(self, schema: object, name: str, depth: int, index: int) -> object:
        """A value for ``schema``; ``name`` is the property it fills, ``index`` its place in
        an array (so that items differ)."""
        if not isinstance(schema, dict):
            return self.string_value({}, name, index) if schema is not False else None
        if depth > _MAX_DEPTH:
            return None
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return enum[0]
        if isinstance(schema.get("allOf"), list):
            return self.value(self.merged(schema), name, depth + 1, index)
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                return self.branch(schema[key], name, depth, index)
        kind = _kind_of(schema, depth)
        if kind == "object":
            return self.object_value(schema, name, depth, index)
        if kind == "array":
            return self.array_value(schema, name, depth)
        if kind in ("integer", "number"):
            return _number(schema, kind, index)
        simple: dict[str, object] = {"boolean": True, "null": None}
        return simple[kind] if kind in simple else self.string_value(schema, name, index)

    def resolve(self, schema: JsonObject) -> JsonObject:
        """Follow local ``$ref``s (``#``, ``#/$defs/X``, ``#/definitions/X``)."""
        for _ in range(32):
            ref = schema.get("$ref")
            if not isinstance(ref, str) or not ref.startswith("#"):
                return schema
            target: object = self.root
            for part in filter(None, ref[1:].split("/")):
                target = target.get(part) if isinstance(target, dict) else None
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if isinstance(target, dict) else siblings
        return schema

    def merged(self, schema: JsonObject) -> JsonObject:
        """``allOf`` as one schema: its branches' keys, properties and required merged."""
        result: JsonObject = {k: v for k, v in schema.items() if k != "allOf"}
        properties: JsonObject = dict(result.get("properties") or {})
        required: list[str] = list(result.get("required") or [])
        for part in schema["allOf"]:
            if not isinstance(part, dict):
                continue
            part = self.resolve(part)
            properties.update(part.get("properties") or {})
            required += [n for n in part.get("required") or [] if n not in required]
            result.update({k: v for k, v in part.items()
                           if k not in ("properties", "required") and k not in result})
        if properties:
            result["properties"] = properties
            result["required"] = required
        return result

    def branch(self, options: list[object], name: str, depth: int, index: int) -> object:
        """The first non-null branch; null deep down when the branches allow it."""
        usable = [o for o in options if not _is_null(o, self)]
        if not usable or (depth >= _MIN_DEPTH and len(usable) < len(options)):
            return None
        return self.value(usable[0], name, depth + 1, index)

    def object_value(self, schema: JsonObject, name: str, depth: int, index: int
                     ) -> JsonObject:
        """Every property (only the required ones deep down); a map gets one entry. The
        properties of an array's second item get the second values (numbers 2, "name 2")."""
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and depth < _MIN_DEPTH:
                return {f"{name}_{index + 1}": self.value(extra, name, depth + 1, index)}
            return {}
        required = schema.get("required")
        names = list(properties)
        if depth >= _MIN_DEPTH and isinstance(required, list):
            names = [n for n in names if n in required]
        return {n: self.value(properties[n], n, depth + 1, index) for n in names}

    def array_value(self, schema: JsonObject, name: str, depth: int) -> list[object]:
        """One or two items (``prefixItems`` one each), within ``minItems``/``maxItems``."""
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list):
            return [self.value(s, name, depth + 1, i) for i, s in enumerate(prefix)]
        minimum = _int_key(schema, "minItems", 0)
        maximum = _int_key(schema, "maxItems", max(minimum, 2))
        wanted = 2 if depth < _SHALLOW_DEPTH else 1
        count = minimum if depth >= _MIN_DEPTH else max(minimum, min(wanted, maximum))
        items = schema.get("items", {})
        return [self.value(items, name, depth + 1, i) for i in range(count)]

    def string_value(self, schema: JsonObject, name: str, index: int) -> str:
        """A string naming the property and the topic, or an example of its ``format``."""
        label = name.replace("_", " ")
        slug = _NON_SLUG.sub("-", label.lower()).strip("-") or "value"
        template = _FORMATS.get(str(schema.get("format")))
        if template is not None:
            return template.format(slug=slug, index=index + 1)
        number = f" {index + 1}" if index else ""
        text = f"{label}{number}: {self.topic}"
        minimum = _int_key(schema, "minLength", 0)
        maximum = _int_key(schema, "maxLength", max(len(text), minimum))
        return text.ljust(minimum, ".")[:maximum]


def _is_null(schema: object, generator: _Generator) -> bool:
    if not isinstance(schema, dict):
        return schema is False
    schema = generator.resolve(schema)
    return schema.get("type") == "null" or schema.get("const", 0) is None


def _kind_of(schema: JsonObject, depth: int) -> str:
    """The JSON type to produce: ``type`` (its first non-null entry), else guessed."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if isinstance(k, str)]
        if "null" in kinds and (depth >= _MIN_DEPTH or len(kinds) == 1):
            return "null"
        kind = next((k for k in kinds if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def _int_key(schema: JsonObject, key: str, default: int) -> int:
    value = schema.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _number(schema: JsonObject, kind: str, index: int) -> int | float:
    """``1 + index``, moved into the schema's bounds and onto its ``multipleOf``."""
    value = float(1 + index)
    step = 1.0 if kind == "integer" else 0.5
    low, high = schema.get("minimum"), schema.get("maximum")
    low_x, high_x = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(low, int | float):
        value = max(value, float(low))
    if isinstance(low_x, int | float) and not isinstance(low_x, bool):
        value = max(value, math.floor(low_x) + step)
    if isinstance(high, int | float):
        value = min(value, float(high))
    if isinstance(high_x, int | float) and not isinstance(high_x, bool):
        value = min(value, math.ceil(high_x) - step)
    multiple = schema.get("multipleOf")
    if isinstance(multiple, int | float) and multiple > 0:
        value = math.ceil(value / multiple) * multiple
    return math.ceil(value) if kind == "integer" else value
