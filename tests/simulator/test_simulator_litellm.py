"""The simulator through real litellm over HTTP, as the engine uses it."""

from __future__ import annotations

import importlib
import json
import os
from types import ModuleType
from typing import Any

import pydantic
import pytest

from desktop_app.simulator import Simulator

pytestmark = [
    pytest.mark.asyncio,
    # pydantic warns, when litellm first builds some of its schemas (which call depends on
    # what ran before), that TypedDict items use the ReadOnly qualifier: not ours to fix.
    pytest.mark.filterwarnings("ignore:.*is using the .ReadOnly. qualifier:UserWarning"),
]
litellm: ModuleType


@pytest.fixture(scope="module", autouse=True)
def _litellm() -> ModuleType:
    """Import litellm at test time, as the engine does (lazily).

    pydantic must already be imported (see the module's imports): with PySide6 loaded by
    pytest-qt, litellm's first import of pydantic fails with a circular ``ImportError`` raised
    through shiboken's import hook.
    """
    assert pydantic.VERSION
    global litellm
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    litellm = importlib.import_module("litellm")
    return litellm

CODE_TOOL = {"type": "function", "function": {
    "name": "run_python", "description": "Run Python code and return what it prints.",
    "parameters": {"type": "object", "properties": {"code": {"type": "string"}},
                   "required": ["code"]}}}


async def _complete(sim: Simulator, model: str, messages: list[dict[str, Any]],
                    **options: Any) -> Any:
    return await litellm.acompletion(model=model, api_base=sim.base_url, api_key="sk-test",
                                     messages=messages, max_retries=0, **options)


async def test_streamed_content_and_usage(sim: Simulator) -> None:
    messages = [{"role": "system", "content": "You are terse."},
                {"role": "user", "content": "Describe the tides\nin detail"}]
    stream = await _complete(sim, "openai/sim:tokens=25", messages, stream=True,
                             stream_options={"include_usage": True})
    text, usage = "", None
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        usage = getattr(chunk, "usage", None) or usage
    assert text.startswith("Answer to: Describe the tides. ")
    assert len(text.split()) == 25
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (3 + 5, 25)
    assert sim.stats.streams_completed == 1
    assert sim.stats.requests[0].model == "sim:tokens=25"


async def test_non_streamed_completion(sim: Simulator) -> None:
    response = await _complete(sim, "openai/sim:tokens=5",
                               [{"role": "user", "content": "Hi"}])
    content = response.choices[0].message.content
    assert content.startswith("Answer to: Hi. ")
    assert len(content.split()) == 5
    assert response.usage.completion_tokens == 5


async def test_tool_call_round_trip_with_the_code_heuristic(sim: Simulator) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "What is the mean of [25, 30, 35, 40, 45]?"}]
    stream = await _complete(sim, "openai/sim", messages, tools=[CODE_TOOL], stream=True)
    chunks = [chunk async for chunk in stream]
    built = litellm.stream_chunk_builder(chunks, messages=messages)
    assert built is not None
    assert built.choices[0].finish_reason == "tool_calls"
    (call,) = built.choices[0].message.tool_calls
    assert call.function.name == "run_python"
    code = json.loads(call.function.arguments)["code"]
    assert code == "values = [25, 30, 35, 40, 45]\nprint(sum(values) / len(values))"
    namespace: dict[str, Any] = {}
    printed: list[str] = []
    namespace["print"] = lambda value: printed.append(str(value))
    exec(code, namespace)  # the code is ours, from the simulator
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [{
            "id": call.id, "type": "function",
            "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
        {"role": "tool", "tool_call_id": call.id, "content": printed[0]},
    ]
    final = await _complete(sim, "openai/sim", messages, tools=[CODE_TOOL])
    assert final.choices[0].message.content.startswith("Result: 35.0. ")
    assert final.choices[0].message.tool_calls is None


async def test_faults_surface_as_litellm_errors(sim: Simulator) -> None:
    messages = [{"role": "user", "content": "Hi"}]
    with pytest.raises(litellm.RateLimitError, match="Rate limit"):
        await _complete(sim, "openai/sim:status=429,retry_after=0", messages)
    with pytest.raises(litellm.AuthenticationError, match="Incorrect API key"):
        await _complete(sim, "openai/sim:status=401", messages)
    with pytest.raises(litellm.BadRequestError, match="Unknown setting 'colour'"):
        await _complete(sim, "openai/sim:colour=red", messages)
    stream = await _complete(sim, "openai/sim:drop_after=3", messages, stream=True)
    with pytest.raises(litellm.exceptions.MidStreamFallbackError):
        async for _ in stream:
            pass


async def test_embeddings(sim: Simulator) -> None:
    response = await litellm.aembedding(model="openai/sim", api_base=sim.base_url,
                                        api_key="sk-test", input=["tides", "moons"])
    vectors = [item["embedding"] for item in response.data]
    assert [len(v) for v in vectors] == [64, 64]
    assert vectors[0] != vectors[1]
    assert abs(sum(v * v for v in vectors[0]) - 1.0) < 1e-4
    assert response.usage.prompt_tokens == 2


class _Step(pydantic.BaseModel):
    task_number: int = pydantic.Field(ge=1)
    plan: str


class _Plan(pydantic.BaseModel):
    steps: list[_Step]
    note: str | None = None


@pytest.mark.parametrize("stream", [False, True])
async def test_response_format_from_a_pydantic_model_validates(sim: Simulator,
                                                                stream: bool) -> None:
    messages = [{"role": "user", "content": "Plan the launch"}]
    response = await _complete(sim, "openai/gpt-4o", messages, response_format=_Plan,
                               stream=stream)
    if stream:
        text = ""
        async for chunk in response:
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
    else:
        text = response.choices[0].message.content
    plan = _Plan.model_validate_json(text)
    assert plan.steps[0].plan == "plan: Plan the launch"
    assert sim.stats.requests[-1].body["response_format"]["type"] == "json_schema"


async def test_a_forced_tool_call_fits_its_schema(sim: Simulator) -> None:
    tool = {"type": "function", "function": {"name": "_Plan", "description": "The plan",
                                             "parameters": _Plan.model_json_schema()}}
    response = await _complete(sim, "openai/ollama/llama3:8b",
                               [{"role": "user", "content": "Plan"}], tools=[tool],
                               tool_choice={"type": "function", "function": {"name": "_Plan"}})
    call = response.choices[0].message.tool_calls[0]
    assert call.function.name == "_Plan"
    _Plan.model_validate_json(call.function.arguments)
