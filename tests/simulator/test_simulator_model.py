"""The fake model's decisions, without HTTP."""

from __future__ import annotations

import json
from typing import Any

from desktop_app.simulator import SimulatorConfig
from desktop_app.simulator._behaviour import plan_reply

SETTINGS = SimulatorConfig(tokens=10).settings()
CODE_TOOL = {"type": "function", "function": {
    "name": "run_python", "description": "Run Python",
    "parameters": {"type": "object", "properties": {"code": {"type": "string"}},
                   "required": ["code"]}}}
SEARCH_TOOL = {"type": "function", "function": {
    "name": "search", "description": "Search the web",
    "parameters": {"type": "object", "properties": {
        "query": {"type": "string"}, "limit": {"type": "integer"},
        "exact": {"type": "boolean"}, "site": {"type": "string"},
        "mode": {"$ref": "#/$defs/Mode"}},
        "required": ["query", "limit", "exact", "mode"],
        "$defs": {"Mode": {"enum": ["fast", "deep"]}}}}}


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def test_reply_echoes_the_first_line_then_fills_up_to_tokens() -> None:
    body = {"messages": [{"role": "system", "content": "Be brief."},
                         _user("Summarise the tides\nsecond line ignored")]}
    reply = plan_reply(body, SETTINGS)
    assert reply.text.startswith("Answer to: Summarise the tides. ")
    assert "second line" not in reply.text
    assert len(reply.pieces) == 10
    assert reply.completion_tokens == 10
    assert all(a != b for a, b in zip(reply.pieces, reply.pieces[1:], strict=False))
    assert reply.prompt_tokens == 2 + 6
    assert reply.tool_call is None


def test_a_long_echo_is_kept_whole() -> None:
    question = " ".join(f"word{i}" for i in range(30))
    reply = plan_reply({"messages": [_user(question)]}, SETTINGS)
    assert reply.text == f"Answer to: {question}."
    assert len(reply.pieces) == 32


def test_the_echo_is_cut_at_200_characters() -> None:
    reply = plan_reply({"messages": [_user("x" * 300)]}, SETTINGS)
    assert reply.text.startswith("Answer to: " + "x" * 200 + ". ")


def test_content_parts_are_read() -> None:
    message = {"role": "user", "content": [{"type": "text", "text": "Hello parts"}]}
    reply = plan_reply({"messages": [message]}, SETTINGS)
    assert reply.text.startswith("Answer to: Hello parts.")


def test_code_tool_gets_the_mean_of_the_first_number_list() -> None:
    body = {"messages": [_user("Average of [25, 30, 35, 40, 45] and [1, 2] please")],
            "tools": [SEARCH_TOOL, CODE_TOOL]}
    reply = plan_reply(body, SETTINGS)
    assert reply.tool_call is not None
    assert reply.tool_call.name == "run_python"
    code = json.loads(reply.tool_call.arguments)["code"]
    assert code == "values = [25, 30, 35, 40, 45]\nprint(sum(values) / len(values))"
    assert reply.pieces == ()
    assert reply.completion_tokens == 1 + len(reply.tool_call.argument_pieces())
    assert "".join(reply.tool_call.argument_pieces()) == reply.tool_call.arguments
    assert 2 <= len(reply.tool_call.argument_pieces()) <= 3


def test_code_tool_without_numbers_computes_something() -> None:
    body = {"messages": [_user("Compute anything")], "tools": [CODE_TOOL]}
    reply = plan_reply(body, SETTINGS)
    assert reply.tool_call is not None
    assert json.loads(reply.tool_call.arguments) == {"code": "print(sum(range(10)))"}


def test_other_tools_get_arguments_from_their_schema() -> None:
    body = {"messages": [_user("Find lighthouses near Brest")], "tools": [SEARCH_TOOL]}
    reply = plan_reply(body, SETTINGS)
    assert reply.tool_call is not None
    assert reply.tool_call.name == "search"
    assert json.loads(reply.tool_call.arguments) == {
        "query": "Find", "limit": 1, "exact": True, "mode": "fast"}
    assert reply.tool_call.id.startswith("call_")


def test_after_a_tool_result_the_model_reports_it() -> None:
    body = {"messages": [
        _user("Average of [25, 30, 35, 40, 45]"),
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "run_python", "arguments": "{\"code\": \"x\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "  35.0\n"}],
        "tools": [CODE_TOOL]}
    reply = plan_reply(body, SETTINGS)
    assert reply.tool_call is None
    assert reply.text.startswith("Result: 35.0. ")
    assert len(reply.pieces) == 10


def test_a_new_user_message_calls_the_tool_again() -> None:
    body = {"messages": [_user("a"), {"role": "tool", "tool_call_id": "c", "content": "1"},
                         _user("[3, 4]")], "tools": [CODE_TOOL]}
    reply = plan_reply(body, SETTINGS)
    assert reply.tool_call is not None
    assert "values = [3, 4]" in json.loads(reply.tool_call.arguments)["code"]


def test_bytes_makes_a_reply_of_about_that_size_in_tokens_pieces() -> None:
    settings = SimulatorConfig(tokens=20, reply_bytes=100_000).settings()
    reply = plan_reply({"messages": [_user("big")]}, settings)
    size = len(reply.text.encode())
    assert 100_000 <= size <= 100_000 + 2_000
    assert len(reply.pieces) == 3 + 20
    assert reply.pieces[-1] != reply.pieces[-2]


def _tool_turn(call_id: str, name: str, result: str) -> list[dict[str, Any]]:
    return [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": call_id, "content": result},
    ]


SCRIPT = (
    "Plan the launch.\n"
    'sim-call: Delegate_work {"coworker": "Researcher", "task": "find facts"}\n'
    'sim-call: Ask_question {"coworker": "Writer", "question": "tone?"}'
)


def test_scripted_calls_come_one_per_reply_then_the_answer() -> None:
    messages: list[dict[str, Any]] = [_user(SCRIPT)]
    first = plan_reply({"messages": messages, "tools": [SEARCH_TOOL]}, SETTINGS).tool_call
    assert first is not None and first.name == "Delegate_work"
    assert json.loads(first.arguments) == {"coworker": "Researcher", "task": "find facts"}
    messages += _tool_turn(first.id, first.name, "facts found")
    second = plan_reply({"messages": messages, "tools": [SEARCH_TOOL]}, SETTINGS).tool_call
    assert second is not None and second.name == "Ask_question"
    assert json.loads(second.arguments)["coworker"] == "Writer"
    assert second.id != first.id
    messages += _tool_turn(second.id, second.name, "a calm tone")
    answer = plan_reply({"messages": messages, "tools": [SEARCH_TOOL]}, SETTINGS)
    assert answer.tool_call is None
    assert answer.text.startswith("Result: a calm tone. ")


def test_a_script_calls_tools_that_are_not_offered_and_keeps_bad_arguments() -> None:
    reply = plan_reply({"messages": [_user("Go\nsim-call: missing_tool {not json")]}, SETTINGS)
    assert reply.tool_call is not None
    assert (reply.tool_call.name, reply.tool_call.arguments) == ("missing_tool", "{not json")


def test_sim_call_none_answers_although_tools_are_offered() -> None:
    body = {"messages": [_user("Revise it\nsim-call: none")], "tools": [SEARCH_TOOL]}
    reply = plan_reply(body, SETTINGS)
    assert reply.tool_call is None
    assert reply.text.startswith("Answer to: Revise it. ")


def test_only_the_last_user_message_scripts() -> None:
    body = {"messages": [_user("sim-call: none"), _user("Find lighthouses")],
            "tools": [SEARCH_TOOL]}
    reply = plan_reply(body, SETTINGS)
    assert reply.tool_call is not None and reply.tool_call.name == "search"


def test_a_delegation_tool_gets_the_first_coworker_it_lists() -> None:
    delegate = {"type": "function", "function": {
        "name": "Delegate_work_to_coworker",
        "description": "Delegate a specific task to one of the following coworkers: "
                       "Market researcher, Copywriter\nThe input to this tool ...",
        "parameters": {"type": "object", "properties": {
            "task": {"type": "string"}, "context": {"type": "string"},
            "coworker": {"type": "string"}}, "required": ["task", "coworker"]}}}
    reply = plan_reply({"messages": [_user("Plan the launch")], "tools": [delegate]}, SETTINGS)
    assert reply.tool_call is not None
    assert json.loads(reply.tool_call.arguments) == {"task": "Plan", "coworker": "Market researcher"}
