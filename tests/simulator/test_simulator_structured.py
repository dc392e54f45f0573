"""Structured output: JSON that validates against the schema a request asks for."""

from __future__ import annotations

import datetime
import enum
import json
import uuid
from typing import Annotated, Any, Literal

import httpx
import pytest
from pydantic import BaseModel, Field

from desktop_app.simulator import SimulatorConfig
from desktop_app.simulator._behaviour import plan_reply
from desktop_app.simulator._structured import value_for_schema

SETTINGS = SimulatorConfig(tokens=10).settings()


class PlanPerTask(BaseModel):
    """As CrewAI's planner (crewai/utilities/planning_handler.py) defines it."""

    task_number: int = Field(description="The 1-indexed task number", ge=1)
    task: str = Field(description="The task for which the plan is created")
    plan: str = Field(description="The step by step plan")


class PlannerTaskPydanticOutput(BaseModel):
    """The planner's output model, as CrewAI defines it."""

    list_of_plans_per_task: list[PlanPerTask] = Field(..., description="Step by step plans")


class Tone(enum.Enum):
    CALM = "calm"
    URGENT = "urgent"


class Source(BaseModel):
    url: str
    published: datetime.date
    checked_at: datetime.datetime | None = None


class Report(BaseModel):
    title: Annotated[str, Field(min_length=30, max_length=40)]
    tone: Tone
    kind: Literal["brief", "long"]
    score: Annotated[float, Field(gt=0, lt=1)]
    pages: Annotated[int, Field(ge=10, le=20, multiple_of=5)]
    tags: Annotated[list[str], Field(min_length=3)]
    counts: dict[str, int]
    sources: list[Source]
    lead: Source | None = None
    reviewer: str | int
    ident: uuid.UUID
    pair: tuple[int, str]
    urgent: bool = False


class Node(BaseModel):
    name: str
    children: list[Node] = []
    parent: Node | None = None


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def _json_schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"type": "json_schema",
            "json_schema": {"name": model.__name__, "schema": model.model_json_schema()}}


@pytest.mark.parametrize("model", [PlannerTaskPydanticOutput, Report, Node, Source])
def test_values_validate_against_pydantic_schemas(model: type[BaseModel]) -> None:
    value = value_for_schema(model.model_json_schema(), "Report on tides")
    model.model_validate_json(json.dumps(value))


def test_values_are_full_and_name_their_property() -> None:
    plans = PlannerTaskPydanticOutput.model_validate(
        value_for_schema(PlannerTaskPydanticOutput.model_json_schema(), "Plan the launch"))
    assert len(plans.list_of_plans_per_task) == 2
    first, second = plans.list_of_plans_per_task
    assert (first.task_number, first.task, first.plan) == (1, "task: Plan the launch",
                                                            "plan: Plan the launch")
    assert second.task_number == 2
    report = Report.model_validate(value_for_schema(Report.model_json_schema(), "Tides"))
    assert report.lead is not None  # Optional fields are filled
    assert report.tags[:2] == ["tags: Tides", "tags 2: Tides"]
    assert report.pages == 10


def test_a_recursive_schema_ends() -> None:
    node = Node.model_validate(value_for_schema(Node.model_json_schema(), "tree"))
    depth = 0
    while node.children:
        node = node.children[0]
        depth += 1
    assert 1 <= depth <= 8


def test_response_format_json_schema_answers_with_the_plan() -> None:
    body = {"messages": [_user("Based on these tasks summary: ...\nmore")],
            "response_format": _json_schema(PlannerTaskPydanticOutput)}
    reply = plan_reply(body, SETTINGS)
    assert reply.tool_call is None
    plans = PlannerTaskPydanticOutput.model_validate_json(reply.text)
    assert plans.list_of_plans_per_task[0].task == "task: Based on these tasks summary"
    assert len(reply.pieces) > 5
    assert all(a != b for a, b in zip(reply.pieces, reply.pieces[1:], strict=False))


def test_response_format_json_object_wraps_the_answer() -> None:
    body = {"messages": [_user("Sum up the tides")], "response_format": {"type": "json_object"}}
    assert json.loads(plan_reply(body, SETTINGS).text) == {"answer": "Answer to: Sum up the tides."}


def test_tools_come_first_then_the_structured_answer() -> None:
    search = {"type": "function", "function": {"name": "search", "parameters": {
        "type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}
    messages: list[dict[str, Any]] = [_user("Find tides")]
    body = {"messages": messages, "tools": [search], "response_format": _json_schema(Source)}
    call = plan_reply(body, SETTINGS).tool_call
    assert call is not None and call.name == "search"
    messages += [{"role": "assistant", "tool_calls": [{"id": call.id, "type": "function",
                                                       "function": {"name": "search",
                                                                    "arguments": "{}"}}]},
                 {"role": "tool", "tool_call_id": call.id, "content": "found"}]
    Source.model_validate_json(plan_reply(body, SETTINGS).text)


def _function(name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": "d",
                                             "parameters": parameters}}


def test_a_forced_tool_gets_arguments_that_fit() -> None:
    schema = Report.model_json_schema()
    other = _function("search", {"type": "object", "properties": {"q": {"type": "string"}}})
    body = {"messages": [_user("Report\nsim-call: search {}")],
            "tools": [other, _function("Report", schema)],
            "tool_choice": {"type": "function", "function": {"name": "Report"}}}
    call = plan_reply(body, SETTINGS).tool_call
    assert call is not None and call.name == "Report"
    Report.model_validate_json(call.arguments)


def test_a_sole_output_model_tool_is_called_with_a_fitting_value() -> None:
    body = {"messages": [_user("Plan it")],
            "tools": [_function("PlannerTaskPydanticOutput",
                                PlannerTaskPydanticOutput.model_json_schema())]}
    call = plan_reply(body, SETTINGS).tool_call
    assert call is not None
    assert len(PlannerTaskPydanticOutput.model_validate_json(call.arguments)
               .list_of_plans_per_task) == 2


def test_tool_choice_required_calls_again_after_a_result() -> None:
    body: dict[str, Any] = {
        "messages": [_user("Plan it"), {"role": "tool", "tool_call_id": "c", "content": "1"}],
        "tools": [_function("search", {"type": "object", "properties": {}})]}
    assert plan_reply(body, SETTINGS).tool_call is None
    body["tool_choice"] = "required"
    call = plan_reply(body, SETTINGS).tool_call
    assert call is not None and call.name == "search"


def test_an_anthropic_style_tool_choice_forces_too() -> None:
    body = {"messages": [_user("x")], "tool_choice": {"type": "tool", "name": "Source"},
            "tools": [_function("search", {}), _function("Source", Source.model_json_schema())]}
    call = plan_reply(body, SETTINGS).tool_call
    assert call is not None and call.name == "Source"
    Source.model_validate_json(call.arguments)


def test_tool_choice_none_answers_in_text() -> None:
    body = {"messages": [_user("Plan it")], "tool_choice": "none",
            "tools": [_function("search", {"type": "object", "properties": {}})]}
    assert plan_reply(body, SETTINGS).text.startswith("Answer to: Plan it.")


@pytest.mark.asyncio
@pytest.mark.parametrize("stream", [False, True])
async def test_structured_output_over_http(client: httpx.AsyncClient, stream: bool) -> None:
    body = {"model": "gpt-4o", "messages": [_user("Plan the launch")], "stream": stream,
            "response_format": _json_schema(PlannerTaskPydanticOutput)}
    if not stream:
        response = await client.post("/chat/completions", json=body)
        text = response.json()["choices"][0]["message"]["content"]
    else:
        text = ""
        async with client.stream("POST", "/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    delta = json.loads(line[6:])["choices"]
                    text += (delta[0]["delta"].get("content") or "") if delta else ""
    PlannerTaskPydanticOutput.model_validate_json(text)


@pytest.mark.asyncio
async def test_forcing_a_tool_that_is_not_offered_is_a_400(client: httpx.AsyncClient) -> None:
    body = {"model": "sim", "messages": [_user("x")], "tools": [],
            "tool_choice": {"type": "function", "function": {"name": "Report"}}}
    response = await client.post("/chat/completions", json=body)
    assert response.status_code == 400
    assert "function 'Report' is not one of the 'tools'" in response.json()["error"]["message"]


def test_structured_0_ignores_formats_and_forced_tools() -> None:
    settings = SimulatorConfig(tokens=10, structured=False).settings()
    body: dict[str, Any] = {"messages": [_user("Plan it")],
                            "response_format": _json_schema(PlannerTaskPydanticOutput)}
    assert plan_reply(body, settings).text.startswith("Answer to: Plan it. ")
    body["tools"] = [_function("search", {"type": "object", "properties": {}}),
                     _function("Source", Source.model_json_schema())]
    body["tool_choice"] = {"type": "function", "function": {"name": "Source"}}
    call = plan_reply(body, settings).tool_call
    assert call is not None and call.name == "search"


@pytest.mark.asyncio
async def test_structured_0_in_the_model_string(client: httpx.AsyncClient) -> None:
    body = {"model": "sim:structured=0", "messages": [_user("Plan")],
            "response_format": {"type": "json_object"}}
    response = await client.post("/chat/completions", json=body)
    assert response.json()["choices"][0]["message"]["content"].startswith("Answer to: Plan.")
