"""Anthropic's `/v1/messages` and Gemini's `:generateContent` endpoints, driven with plain httpx."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from desktop_app.simulator import Simulator

pytestmark = pytest.mark.asyncio

QUESTION = "How high are the tides?"
TOOL = {"name": "tide_table", "description": "Tides of a place.",
        "input_schema": {"type": "object", "properties": {"place": {"type": "string"}},
                         "required": ["place"]}}


@pytest_asyncio.fixture
async def root(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    """A plain httpx client on the simulator's root URL."""
    async with httpx.AsyncClient(base_url=sim.root_url, timeout=10.0) as http:
        yield http


def _claude(model: str = "claude-haiku-4-5", **fields: Any) -> dict[str, Any]:
    return {"model": model, "max_tokens": 100,
            "messages": [{"role": "user", "content": QUESTION}], **fields}


async def _events(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> list[Any]:
    async with client.stream("POST", url, json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return [json.loads(line[5:]) async for line in response.aiter_lines()
                if line.startswith("data:")]


async def test_a_claude_answer_has_anthropics_message_shape(root: httpx.AsyncClient) -> None:
    response = await root.post("/v1/messages", json=_claude("sim:tokens=9", system="Be brief."))
    data = response.json()
    assert (data["type"], data["role"], data["stop_reason"]) == ("message", "assistant",
                                                                 "end_turn")
    [block] = data["content"]
    assert block["type"] == "text" and block["text"].startswith(f"Answer to: {QUESTION}.")
    assert data["usage"] == {"input_tokens": 7, "output_tokens": 9}


async def test_a_claude_stream_has_anthropics_events_in_order(root: httpx.AsyncClient) -> None:
    events = await _events(root, "/v1/messages", _claude("sim:tokens=12", stream=True))
    kinds = [event["type"] for event in events]
    assert kinds == ["message_start", "content_block_start", *["content_block_delta"] * 12,
                     "content_block_stop", "message_delta", "message_stop"]
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert text.startswith("Answer to:")
    assert events[-2]["usage"] == {"output_tokens": 12}


async def test_a_claude_tool_call_streams_its_input_in_pieces(root: httpx.AsyncClient) -> None:
    events = await _events(root, "/v1/messages", _claude(stream=True, tools=[TOOL]))
    start = events[1]["content_block"]
    assert (start["type"], start["name"], start["input"]) == ("tool_use", "tide_table", {})
    pieces = [e["delta"]["partial_json"] for e in events if e["type"] == "content_block_delta"]
    assert len(pieces) >= 2 and json.loads("".join(pieces)) == {"place": "How"}
    assert events[-2]["delta"]["stop_reason"] == "tool_use"


async def test_a_forced_claude_tool_gets_arguments_that_fit(root: httpx.AsyncClient) -> None:
    schema = {"type": "object", "properties": {"level": {"type": "integer", "minimum": 3}},
              "required": ["level"]}
    body = _claude(tools=[{"name": "json_tool_call", "input_schema": schema}],
                   tool_choice={"type": "tool", "name": "json_tool_call"})
    [call] = (await root.post("/v1/messages", json=body)).json()["content"]
    assert call["name"] == "json_tool_call" and call["input"]["level"] >= 3


async def test_a_tool_result_is_read_back(root: httpx.AsyncClient) -> None:
    turns = [{"role": "user", "content": QUESTION},
             {"role": "assistant", "content": [
                 {"type": "tool_use", "id": "toolu_1", "name": "tide_table", "input": {}}]},
             {"role": "user", "content": [
                 {"type": "tool_result", "tool_use_id": "toolu_1", "content": "06:12"}]}]
    data = (await root.post("/v1/messages", json=_claude(messages=turns, tools=[TOOL]))).json()
    assert data["content"][0]["text"].startswith("Result: 06:12.")


@pytest.mark.parametrize(
    ("settings", "status", "kind"),
    [("status=401", 401, "authentication_error"), ("status=429", 429, "rate_limit_error"),
     ("status=529", 529, "overloaded_error"), ("context=2", 400, "invalid_request_error"),
     ("bogus=1", 400, "invalid_request_error")],
)
async def test_claude_errors_have_anthropics_shape(
    root: httpx.AsyncClient, settings: str, status: int, kind: str
) -> None:
    response = await root.post("/v1/messages", json=_claude(f"sim:{settings}"))
    assert response.status_code == status
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == kind
    assert body["error"]["message"]


async def test_the_messages_api_rules_are_enforced(root: httpx.AsyncClient) -> None:
    no_max = {"model": "sim", "messages": [{"role": "user", "content": "x"}]}
    assistant_first = _claude(messages=[{"role": "assistant", "content": "x"}])
    for body, words in ((no_max, "max_tokens"), (assistant_first, "first message")):
        response = await root.post("/v1/messages", json=body)
        assert response.status_code == 400 and words in response.json()["error"]["message"]


def _gemini(**fields: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": QUESTION}]}], **fields}


async def test_a_gemini_answer_has_googles_shape(root: httpx.AsyncClient) -> None:
    response = await root.post("/v1beta/models/sim:tokens=12:generateContent", json=_gemini(
        systemInstruction={"parts": [{"text": "Be brief."}]}))
    [candidate] = response.json()["candidates"]
    assert candidate["finishReason"] == "STOP"
    assert candidate["content"]["parts"][0]["text"].startswith("Answer to:")
    assert response.json()["usageMetadata"] == {
        "promptTokenCount": 7, "candidatesTokenCount": 12, "totalTokenCount": 19}


async def test_a_gemini_stream_is_sse_or_a_json_array(root: httpx.AsyncClient) -> None:
    url = "/v1beta/models/sim:tokens=12:streamGenerateContent"
    events = await _events(root, url + "?alt=sse", _gemini())
    assert len(events) == 12 and "finishReason" in events[-1]["candidates"][0]
    array = (await root.post(url, json=_gemini())).json()
    assert isinstance(array, list) and len(array) == 12


async def test_a_gemini_function_call_and_schema(root: httpx.AsyncClient) -> None:
    tools = [{"functionDeclarations": [{"name": "tide_table", "parameters": {
        "type": "OBJECT", "properties": {"place": {"type": "STRING"}}}}]}]
    data = (await root.post("/models/gemini-2.5-flash:generateContent",
                            json=_gemini(tools=tools))).json()
    [part] = data["candidates"][0]["content"]["parts"]
    assert part["functionCall"] == {"name": "tide_table", "args": {"place": "How"}}
    config = {"responseMimeType": "application/json", "responseSchema": {
        "type": "OBJECT", "properties": {"level": {"type": "INTEGER"}}, "required": ["level"]}}
    data = (await root.post("/v1beta/models/gemini-2.5-flash:generateContent",
                            json=_gemini(generationConfig=config))).json()
    assert json.loads(data["candidates"][0]["content"]["parts"][0]["text"]) == {"level": 1}


@pytest.mark.parametrize(("settings", "status", "name"),
                         [("status=429", 429, "RESOURCE_EXHAUSTED"),
                          ("status=503", 503, "UNAVAILABLE"), ("context=2", 400,
                                                               "INVALID_ARGUMENT")])
async def test_gemini_errors_have_googles_shape(
    root: httpx.AsyncClient, settings: str, status: int, name: str
) -> None:
    response = await root.post(f"/v1beta/models/sim:{settings}:generateContent", json=_gemini())
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (status, name) and error["message"]
