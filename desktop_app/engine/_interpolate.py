"""Fills `{name}` placeholders from kickoff inputs.

A placeholder is `{` + an identifier + `}`. Anything else in braces (JSON such as
`{"a": 1}`, `{ }`, `{1}`) stays as it is. The original texts are never changed: every run
fills its own copies, so one crew can run many times at once with different inputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from desktop_app.engine.errors import MissingInputError

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""Matches one placeholder; group 1 is its name."""

InputValue = str | int | float | bool | list[object] | dict[str, object] | None


def placeholders(text: str) -> list[str]:
    """The placeholder names in `text`, in order of first appearance, without repeats."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def render_value(value: object) -> str:
    """How an input value reads inside a prompt: text as it is, lists and dicts as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict, tuple)):
        try:
            return json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def interpolate(text: str, inputs: Mapping[str, str], location: str) -> str:
    """Returns `text` with each placeholder replaced by its rendered input.

    Args:
        text: The original text.
        inputs: Rendered input values by name (see `render_inputs`).
        location: Where the text is, for the error message ("task 'Report' description").

    Raises:
        MissingInputError: A placeholder has no input.
    """
    if "{" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in inputs:
            raise MissingInputError(name, location)
        return inputs[name]

    return PLACEHOLDER.sub(replace, text)


def render_inputs(inputs: Mapping[str, object] | None) -> dict[str, str]:
    """Renders every input value once, for many `interpolate` calls."""
    if not inputs:
        return {}
    return {str(name): render_value(value) for name, value in inputs.items()}


def missing_inputs(texts: Iterable[tuple[str, str]], inputs: Mapping[str, object]) -> list[
    tuple[str, str]
]:
    """Lists (placeholder, location) pairs with no input, over (text, location) pairs."""
    missing: list[tuple[str, str]] = []
    for text, location in texts:
        missing.extend((name, location) for name in placeholders(text) if name not in inputs)
    return missing
