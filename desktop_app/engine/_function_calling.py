"""`function_calling_llm` (agent, else crew): the model that fixes tool calls that do not parse.

In CrewAI the agent's model writes its tool call as text, and `ToolUsage` reads it; only when
that text does not parse (arguments that are not a JSON object, a tool name that is not
one of the agent's), `function_calling_llm` turns the text into a valid call
(`ToolUsage._function_calling`, CrewAI's converter texts). CrewDesk's agents make native tool
calls: the provider returns the tool's name and JSON arguments, so a call that parses needs
no second model and every turn stays with the agent's own `llm`. What `function_calling_llm`
does in CrewDesk is CrewAI's repair: a native call whose tool is unknown or whose arguments do
not fit the tool's schema is sent to `function_calling_llm` with CrewAI's converter texts, as
structured output (the tool's name and its argument schema), and the repaired call runs. When
the repair does not parse either, the original error goes back to the agent's model, as
without `function_calling_llm`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from desktop_app.engine._behaviours import call_aside, with_options
from desktop_app.engine._structured import extract_json_object
from desktop_app.engine.llm import Message
from desktop_app.engine.tools import BaseTool

if TYPE_CHECKING:
    from desktop_app.engine._run_state import PreparedAgent, RunState, TaskMeta

INSTRUCTIONS = (
    "The schema should have the following structure, only two keys:\n"
    "- tool_name: str\n"
    "- arguments: dict (always a dictionary, with all arguments being passed)\n\n"
    "Example:\n"
    '{"tool_name": "tool name", "arguments": {"arg_name1": "value", "arg_name2": 2}}'
)


async def repaired_call(
    agent: PreparedAgent,
    tools: dict[str, BaseTool],
    name: str,
    arguments: str,
    state: RunState,
    meta: TaskMeta,
) -> tuple[str, str]:
    """The tool call to run: `(name, arguments)` as the model made it when it parses (or
    when there is no `function_calling_llm`), else as `function_calling_llm` repaired it."""
    llm = agent.behaviour.function_calling_llm
    if llm is None or not tools or _parses(tools, name, arguments):
        return name, arguments
    candidates = [tools[name]] if name in tools else list(tools.values())
    messages: list[Message] = [
        {"role": "system", "content": INSTRUCTIONS},
        {"role": "user", "content": _converter_text(candidates, name, arguments)},
    ]
    structured = with_options(llm, response_format=_response_format(candidates))
    result = await call_aside(structured, messages, state, meta=meta)
    found = extract_json_object(result.text)
    if found is None or not isinstance(found.get("arguments"), dict):
        return name, arguments
    repaired = (str(found.get("tool_name", name)), json.dumps(found["arguments"]))
    return repaired if _parses(tools, *repaired) else (name, arguments)


def _parses(tools: dict[str, BaseTool], name: str, arguments: str) -> bool:
    tool = tools.get(name)
    if tool is None:
        return False
    try:
        tool.parse_arguments(arguments)
    except ValueError:
        return False
    return True


def _converter_text(tools: list[BaseTool], name: str, arguments: str) -> str:
    """CrewAI's converter text, around the call as the agent's model made it."""
    rendered = "\n".join(
        f"Tool Name: {tool.function_name()}\n"
        f"Tool Arguments: {json.dumps(tool.openai_schema()['function']['parameters'])}\n"
        f"Tool Description: {tool.description}"
        for tool in tools
    )
    return (
        f"Only tools available:\n###\n{rendered}\n\nReturn a valid schema for the tool, the "
        "tool name must be exactly equal one of the options, use this text to inform the "
        f"valid output schema:\n\n### TEXT \nAction: {name}\nAction Input: {arguments}"
    )


def _response_format(tools: list[BaseTool]) -> dict[str, Any]:
    """A `json_schema` of the call: one of `tools` by name, with that tool's arguments
    (when there is one candidate) or any object."""
    defs: dict[str, Any] = {}
    if len(tools) == 1:
        parameters = dict(tools[0].openai_schema()["function"]["parameters"])
        defs = parameters.pop("$defs", {})
    else:
        parameters = {"type": "object"}
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "tool_name": {"type": "string", "enum": [t.function_name() for t in tools]},
            "arguments": parameters,
        },
        "required": ["tool_name", "arguments"],
    }
    if defs:
        schema["$defs"] = defs
    return {"type": "json_schema", "json_schema": {"name": "ToolCalling", "schema": schema}}
