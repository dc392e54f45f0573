"""The fake model: decides, deterministically, what a chat request is answered with.

It looks like an agent model: it echoes the question (so tests see that inputs reached the
model), calls a tool when tools are offered and none has answered yet (or the tools that the
question scripts, see `_script`), and reports the tool's result once one has. Tokens vary from one to the next, because litellm gives up on a stream
that repeats the same chunk.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from desktop_app.simulator._config import ModelSettings
from desktop_app.simulator._script import scripted_calls
from desktop_app.simulator._structured import (
    forced_function_name,
    looks_like_output_model,
    response_schema,
    topic_of,
    value_for_schema,
)

JsonObject = dict[str, Any]

_FILLER = [
    "the", "crew", "reviews", "each", "step", "and", "then", "plans", "what", "comes", "next",
    "while", "keeping", "notes", "about", "sources", "results", "risks", "budgets", "owners",
    "deadlines", "figures", "drafts", "summaries", "checks", "tables", "charts", "findings",
    "questions", "answers", "options", "tradeoffs", "metrics", "goals", "tasks", "reports",
    "context", "evidence",
]
_WORD_PIECE = re.compile(r"\S+\s*")
_NUMBER = r"-?\d+(?:\.\d+)?"
_NUMBER_LIST = re.compile(rf"\[\s*{_NUMBER}(?:\s*,\s*{_NUMBER})*\s*\]")
_ARG_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]{2,}")
_COWORKERS = re.compile(r"coworkers:[ \t]*([^\n]+)")
_ECHO_LIMIT = 200
_RESULT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call the model makes.

    Attributes:
        id: The call id, echoed back by the client in the ``tool`` message.
        name: The function name.
        arguments: The arguments as a JSON text.
    """

    id: str
    name: str
    arguments: str

    def argument_pieces(self) -> list[str]:
        """Split the arguments into the 2-3 pieces a streaming model sends."""
        text = self.arguments
        parts = 3 if len(text) >= 3 else 2
        size = -(-len(text) // parts)
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        return pieces if len(pieces) >= 2 else [*pieces, ""]


@dataclass(frozen=True, slots=True)
class Reply:
    """What the model answers.

    Attributes:
        pieces: The text tokens, in order (empty for a tool call).
        tool_call: The tool call, or None for a text reply.
        prompt_tokens: The input size, in words (at least 1).
    """

    pieces: tuple[str, ...]
    tool_call: ToolCall | None
    prompt_tokens: int

    @property
    def completion_tokens(self) -> int:
        """Tokens the reply is made of: one per streamed content or tool-call chunk."""
        if self.tool_call is not None:
            return 1 + len(self.tool_call.argument_pieces())
        return len(self.pieces)

    @property
    def text(self) -> str:
        """The whole reply text."""
        return "".join(self.pieces)


def plan_reply(body: JsonObject, settings: ModelSettings) -> Reply:
    """Decide the answer to a chat completion request.

    Args:
        body: The request, already checked to have a non-empty ``messages`` list.
        settings: The request's settings (``tokens`` and ``reply_bytes`` shape the text).

    Returns:
        The reply: a call of the function ``tool_choice`` forces; else the next scripted
        tool call when the last user message scripts calls (see `_script`); else a tool call
        when tools are offered and none has answered since the last user message; else a
        text that starts with ``Result: ...`` (after a tool result) or ``Answer to: ...``
        (echoing the first line of the last user message), or the JSON that the request's
        ``response_format`` asks for (see `_structured`).
    """
    messages: list[JsonObject] = [m for m in body["messages"] if isinstance(m, dict)]
    prompt_tokens = max(1, sum(_message_words(m) for m in messages))
    last_user = _last_index(messages, "user")
    user_text = message_text(messages[last_user]) if last_user is not None else ""
    after_user = messages[last_user + 1 :] if last_user is not None else messages
    tool_results = [m for m in after_user if m.get("role") == "tool"]
    call = _next_call(body, user_text, len(tool_results), settings.structured)
    if call is not None:
        return Reply(pieces=(), tool_call=call, prompt_tokens=prompt_tokens)
    if tool_results:
        result = message_text(tool_results[-1]).strip()[:_RESULT_LIMIT]
        head = f"Result: {result}."
    else:
        if last_user is None:
            user_text = message_text(messages[-1])
        first_line = user_text.strip().split("\n", 1)[0].strip()[:_ECHO_LIMIT]
        head = f"Answer to: {first_line}."
    pieces = _answer_pieces(body, head, user_text, settings)
    return Reply(pieces=pieces, tool_call=None, prompt_tokens=prompt_tokens)


def _answer_pieces(body: JsonObject, head: str, user_text: str, settings: ModelSettings
                   ) -> tuple[str, ...]:
    """The answer's tokens: ``head`` and filler, or the JSON ``response_format`` asks for
    (``{"answer": head}`` for ``json_object``, a value of the schema for ``json_schema``)."""
    wanted = response_schema(body) if settings.structured else None
    if wanted is None:
        return _pieces(head, settings)
    kind, schema = wanted
    if kind == "json_object":
        return _json_pieces(json.dumps({"answer": head}))
    return _json_pieces(json.dumps(value_for_schema(schema, topic_of(user_text))))


def _next_call(body: JsonObject, user_text: str, results: int, structured: bool
               ) -> ToolCall | None:
    """The tool call to make now: the function ``tool_choice`` forces (with arguments that
    fit its schema); else the next scripted one (see `_script`); else, when no tool has
    answered since the last user message (or ``tool_choice`` is ``"required"``) and
    ``tool_choice`` is not ``"none"``, a sole output-model tool (see `_structured`) or one
    of the offered tools; else None. Without ``structured``, ``tool_choice`` and output
    models are ignored (the first tool is called, once)."""
    functions = [f for f in map(_function_of, body.get("tools") or []) if f is not None]
    forced = forced_function_name(body) if structured else None
    if forced is not None:
        function = next((f for f in functions if f["name"] == forced), {"name": forced})
        return _structured_call(function, user_text, body)
    script = scripted_calls(user_text)
    if script is not None:
        if results >= len(script):
            return None
        scripted = script[results]
        return ToolCall(id=_call_id(body), name=scripted.name, arguments=scripted.arguments)
    choice = body.get("tool_choice") if structured else None
    if not functions or choice == "none" or (results and choice != "required"):
        return None
    if structured and len(functions) == 1 and looks_like_output_model(functions[0]):
        return _structured_call(functions[0], user_text, body)
    return _tool_call(functions, user_text, body)


def _structured_call(function: JsonObject, user_text: str, body: JsonObject) -> ToolCall:
    """Call ``function`` with arguments made to fit its parameters (see `_structured`)."""
    arguments = value_for_schema(function.get("parameters", {}), topic_of(user_text))
    return ToolCall(id=_call_id(body), name=function["name"],
                    arguments=json.dumps(arguments if isinstance(arguments, dict) else {}))


def _call_id(body: JsonObject) -> str:
    digest = hashlib.sha256(json.dumps(body.get("messages"), sort_keys=True).encode())
    return f"call_{digest.hexdigest()[:24]}"


def message_text(message: JsonObject) -> str:
    """Return the text of a message whose content is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict)]
        return "\n".join(t for t in texts if isinstance(t, str))
    return ""


def count_words(text: str) -> int:
    """Count whitespace-separated words, the simulator's idea of tokens."""
    return len(text.split())


def _message_words(message: JsonObject) -> int:
    words = count_words(message_text(message))
    for call in message.get("tool_calls") or []:
        if isinstance(call, dict) and isinstance(call.get("function"), dict):
            words += count_words(str(call["function"].get("arguments", "")))
    return words


def _last_index(messages: list[JsonObject], role: str) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == role:
            return index
    return None


def filler_word(position: int) -> str:
    """Return the filler word for a token position; neighbours always differ."""
    return _FILLER[(position * 7 + 3) % len(_FILLER)]


def _pieces(head: str, settings: ModelSettings) -> tuple[str, ...]:
    """Split ``head`` into word tokens and pad with filler up to the wanted size."""
    pieces = _WORD_PIECE.findall(head + " ")
    if settings.reply_bytes is not None:
        return _sized_pieces(pieces, settings.reply_bytes, settings.tokens)
    position = len(pieces)
    while len(pieces) < settings.tokens:
        pieces.append(filler_word(position) + " ")
        position += 1
    pieces[-1] = pieces[-1].rstrip() or pieces[-1]
    return tuple(pieces)


def _json_pieces(text: str) -> tuple[str, ...]:
    """Split a JSON text at its spaces into tokens; equal neighbours are joined, since
    litellm gives up on a stream that repeats a chunk."""
    pieces: list[str] = []
    for piece in _WORD_PIECE.findall(text) or [text]:
        if pieces and pieces[-1] == piece:
            pieces[-1] += piece
        else:
            pieces.append(piece)
    return tuple(pieces)


def _sized_pieces(head: list[str], size: int, tokens: int) -> tuple[str, ...]:
    """Make a reply of about ``size`` bytes: the head, then ``tokens`` big filler pieces."""
    remaining = max(0, size - sum(len(p.encode()) for p in head))
    count = max(1, min(tokens, remaining))
    per_piece = -(-remaining // count) if remaining else 0
    pieces = list(head)
    position = 0
    for _ in range(count if remaining else 0):
        words: list[str] = []
        length = 0
        while length < per_piece:
            word = filler_word(position) + " "
            words.append(word)
            length += len(word)
            position += 1
        pieces.append("".join(words))
    return tuple(pieces)


def _function_of(tool: object) -> JsonObject | None:
    if isinstance(tool, dict) and isinstance(tool.get("function"), dict):
        function: JsonObject = tool["function"]
        if isinstance(function.get("name"), str):
            return function
    return None


def _tool_call(functions: list[JsonObject], user_text: str, body: JsonObject) -> ToolCall:
    """Pick a tool and make up its arguments (see ``plan_reply``)."""
    code_tool = next((f for f in functions if _has_code_parameter(f)), None)
    if code_tool is not None:
        name, arguments = code_tool["name"], {"code": python_code_for(user_text)}
    else:
        first = functions[0]
        schema = first.get("parameters")
        word = _argument_word(user_text)
        value = _value_for(schema, schema, word, 0) if isinstance(schema, dict) else {}
        name, arguments = first["name"], value if isinstance(value, dict) else {}
        coworker = _first_coworker(first)
        if "coworker" in arguments and coworker is not None:
            arguments["coworker"] = coworker
    return ToolCall(id=_call_id(body), name=name, arguments=json.dumps(arguments))


def _first_coworker(function: JsonObject) -> str | None:
    """The first name a delegation tool lists ("... one of the following coworkers: A, B"),
    so that a manager on the simulator delegates to a real coworker."""
    match = _COWORKERS.search(str(function.get("description") or ""))
    return match.group(1).split(",")[0].strip() or None if match else None


def _has_code_parameter(function: JsonObject) -> bool:
    parameters = function.get("parameters")
    if not isinstance(parameters, dict):
        return False
    properties = parameters.get("properties")
    if not isinstance(properties, dict):
        return False
    code = properties.get("code")
    return isinstance(code, dict) and code.get("type") == "string"


def python_code_for(text: str) -> str:
    """Write the Python a code tool is called with: the mean of the first list of numbers
    in ``text``, or a short computation when there is none."""
    match = _NUMBER_LIST.search(text)
    if match is None:
        return "print(sum(range(10)))"
    numbers = re.findall(_NUMBER, match.group(0))
    return f"values = [{', '.join(numbers)}]\nprint(sum(values) / len(values))"


def _argument_word(text: str) -> str:
    match = _ARG_WORD.search(text)
    return match.group(0) if match else "sim"


def _value_for(schema: JsonObject, root: JsonObject, word: str, depth: int) -> object:
    """Make a value that fits a JSON schema: strings get ``word``, numbers 1, booleans
    true, enums their first value, objects their required fields (every field when the
    schema has no ``required`` list)."""
    schema = _resolve(schema, root)
    if depth > 8:
        return None
    if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list):
            usable = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
            if usable:
                return _value_for(usable[0], root, word, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        return _object_for(schema, root, word, depth)
    if kind == "array":
        items = schema.get("items")
        return [_value_for(items, root, word, depth + 1)] if isinstance(items, dict) else []
    simple: dict[object, object] = {"integer": 1, "number": 1, "boolean": True, "null": None}
    return simple.get(kind, word)


def _object_for(schema: JsonObject, root: JsonObject, word: str, depth: int) -> JsonObject:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    required = schema.get("required")
    if isinstance(required, list):
        chosen = [n for n in required if n in properties]
    else:
        chosen = list(properties)
    return {
        name: _value_for(properties[name], root, word, depth + 1)
        for name in chosen
        if isinstance(properties[name], dict)
    }


def _resolve(schema: JsonObject, root: JsonObject) -> JsonObject:
    """Follow a local ``$ref`` such as ``#/$defs/Item``."""
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    target: object = root
    for part in ref[2:].split("/"):
        target = target.get(part) if isinstance(target, dict) else None
    return target if isinstance(target, dict) else {}
