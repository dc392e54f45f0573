"""Tool calls scripted in a request's last user message, for deterministic multi-step tests.

A user message may hold directives, each one a line part of the form::

    sim-call: <tool name> <JSON object of arguments>
    sim-call: none

The model then makes the scripted calls one after the other, one per reply: the first reply
after the user message makes the first call, the reply after its tool result the second, and
so on; once every call has its result, it answers ``Result: ...`` as usual. ``sim-call: none``
makes it answer at once even when tools are offered. Arguments that are not a JSON object are
sent as written (the rest of the line), so a test can script arguments a tool must refuse.
The named tool does not have to be offered: a script can make the model call a tool it does
not have. A message without directives gets the default behaviour (see `_behaviour`).

A directive is read from the last user message only, so text that a manager delegates to a
coworker carries no directive unless the script puts one in the delegated text itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_DIRECTIVE = re.compile(r"sim-call:[ \t]*([A-Za-z0-9_-]+)")
_DECODER = json.JSONDecoder()
NO_CALL = "none"
"""The tool name that means: answer now, call nothing."""


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    """One call a script asks for.

    Attributes:
        name: The function name.
        arguments: The arguments as JSON text (or as written, when they are not JSON).
    """

    name: str
    arguments: str


def scripted_calls(text: str) -> list[ScriptedCall] | None:
    """Read the directives of a user message.

    Returns:
        None when the text holds no directive; else the calls in order (empty for
        ``sim-call: none``).
    """
    matches = list(_DIRECTIVE.finditer(text))
    if not matches:
        return None
    calls = []
    for match in matches:
        if match.group(1) == NO_CALL:
            continue
        calls.append(ScriptedCall(match.group(1), _arguments_after(text, match.end())))
    return calls


def _arguments_after(text: str, start: int) -> str:
    """The JSON object that follows a directive, re-dumped; else the rest of its line."""
    rest = text[start:]
    stripped = rest.lstrip(" \t")
    offset = start + len(rest) - len(stripped)
    try:
        value, _end = _DECODER.raw_decode(text, offset)
    except ValueError:
        return stripped.split("\n", 1)[0].strip()
    if not isinstance(value, dict):
        return stripped.split("\n", 1)[0].strip()
    return json.dumps(value)
