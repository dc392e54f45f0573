"""Where a part of a document came from, so that errors name the file, line and field.

A document loaded from one of our files maps one to one onto the YAML. An imported CrewAI
project spreads a crew over several files (`agents.yaml`, `tasks.yaml`, `crew.jsonc`,
`agents/<name>.jsonc`) under other names; a `SourceMap` records, per agent and task, which file
and which place holds it, and turns document places into `CrewProblem`s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from desktop_app.documents._yaml import LineIndex, Loc, label_of
from desktop_app.documents.errors import CrewFileError, CrewProblem


@dataclass(frozen=True)
class Origin:
    """The file and place that one part of a document came from.

    Attributes:
        path: The file.
        index: Lines of the places in that file (empty where unknown, as for JSONC).
        prefix: Where the part sits in the file.
        label: How users name the part (``researcher``); empty for a whole file.
        renames: Document field name -> places in the file; ``()`` means the part itself.
    """

    path: Path
    index: LineIndex = field(default_factory=LineIndex)
    prefix: Loc = ()
    label: str = ""
    renames: Mapping[str, Loc] = field(default_factory=dict)


class SourceMap:
    """Turns places in a document into places in the files it came from."""

    def __init__(self, default: Origin, parts: Mapping[Loc, Origin] | None = None) -> None:
        """Makes a map.

        Args:
            default: Where everything not listed in ``parts`` came from.
            parts: Origins of parts, keyed by their place (``("agents", 0)``).
        """
        self.default = default
        self.parts: dict[Loc, Origin] = dict(parts or {})

    @property
    def path(self) -> Path:
        """The main file (or folder) of the crew."""
        return self.default.path

    def problem(self, loc: Loc, message: str) -> CrewProblem:
        """A problem at ``loc`` of the document, placed in its file."""
        key = max((k for k in self.parts if loc[: len(k)] == k), key=len, default=None)
        origin = self.parts[key] if key is not None else self.default
        rest = loc[len(key) :] if key is not None else loc
        if rest and isinstance(rest[0], str) and rest[0] in origin.renames:
            rest = (*origin.renames[rest[0]], *rest[1:])
        label = ".".join(part for part in (origin.label, label_of(rest)) if part)
        if rest and isinstance(rest[0], int) and origin.label:
            label = origin.label + label_of(rest)
        line = origin.index.line_of((*origin.prefix, *rest))
        return CrewProblem(message, path=origin.path, line=line, field=label or None)

    def error(self, issues: Iterable[tuple[Loc, str]]) -> CrewFileError:
        """One error for several ``(place, message)`` issues."""
        return CrewFileError([self.problem(loc, message) for loc, message in issues])

    def validation_error(self, exc: ValidationError) -> CrewFileError:
        """A `CrewFileError` from pydantic's errors, in words for users."""
        return self.error(
            (tuple(error["loc"]), describe_error(error)) for error in exc.errors()
        )


_TYPE_WORDS = {
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "list_type": "must be a list",
    "dict_type": "must be a mapping (name: value)",
    "model_type": "must be a mapping (name: value)",
    "model_attributes_type": "must be a mapping (name: value)",
}


def describe_error(error: Mapping[str, Any]) -> str:
    """One pydantic error in words for users."""
    kind = str(error.get("type", ""))
    loc = tuple(error.get("loc", ()))
    name = str(loc[-1]) if loc else "value"
    if kind == "missing":
        return f"missing required field '{name}'"
    if kind == "extra_forbidden":
        return f"unknown field '{name}'"
    if kind == "literal_error":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"must be one of {expected}"
    words = _TYPE_WORDS.get(kind)
    if words is not None:
        return f"{words}, not {_shown(error.get('input'))}"
    return str(error.get("msg", "invalid value"))


def _shown(value: object) -> str:
    if value is None:
        return "empty"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
