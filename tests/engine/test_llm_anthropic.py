"""The native Anthropic Messages client: real HTTP to the simulator's `/v1/messages`, a recorded
event stream, the same errors as litellm's path, and no litellm in the process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from desktop_app.engine import LLM, Agent, Crew, LLMError, Task, tool
from desktop_app.engine import _anthropic_protocol as anthropic
from desktop_app.engine import _llm_routes as routes
from desktop_app.simulator import Simulator, SimulatorThread

Handler = Callable[[httpx.Request], httpx.Response]
MODEL = "anthropic/claude-haiku-4-5"
PRICE = (1e-6, 5e-6)  # litellm's price file: claude-haiku-4-5, USD per input / output token


def _llm(sim: Simulator | SimulatorThread, settings: str = "", **options: Any) -> LLM:
    """An Anthropic LLM on the simulator; `settings` picks its behaviour (`anthropic/sim:...`)."""
    model = f"anthropic/sim:{settings}" if settings else MODEL
    options.setdefault("retry_base_delay", 0.01)
    return LLM(model=model, base_url=sim.root_url, api_key="sk-ant-test", **options)


def _messages(text: str = "Summarise the tides") -> list[dict[str, Any]]:
    return [{"role": "system", "content": "You are brief."}, {"role": "user", "content": text}]


# --- text, streaming, usage and cost ---------------------------------------------------------


@pytest.mark.asyncio
async def test_a_streamed_answer_arrives_in_order_with_usage_and_cost(sim: Simulator) -> None:
    pieces: list[str] = []
    result = await _llm(sim).acall(_messages(), on_text=pieces.append)
    assert len(pieces) == 20 and "".join(pieces) == result.text
    assert result.text.startswith("Answer to: Summarise the tides.")
    assert result.finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (6, 20)
    assert result.cost_usd == pytest.approx(6 * PRICE[0] + 20 * PRICE[1])
    [request] = sim.stats.requests
    assert request.path == "/v1/messages"
    body = request.body
    assert body["model"] == "claude-haiku-4-5" and body["stream"] is True
    assert body["system"] == [{"type": "text", "text": "You are brief."}]
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Summarise the tides"}]}]
    assert body["max_tokens"] == 64_000  # the model's largest, from litellm's price file


def test_the_blocking_call_streams_the_same_answer(sim_thread: SimulatorThread) -> None:
    pieces: list[str] = []
    result = _llm(sim_thread, "tokens=7").call(_messages(), on_text=pieces.append)
    assert len(pieces) == 7 and "".join(pieces) == result.text
    assert result.usage.completion_tokens == 7


# --- tools -----------------------------------------------------------------------------------


@tool
def tide_table(place: str) -> str:
    """The tide table of a place."""
    return f"High tide at {place}: 06:12 and 18:40"


@pytest.mark.asyncio
async def test_a_tool_call_goes_round_trip_in_a_crew_run(sim: Simulator) -> None:
    agent = Agent(role="Harbour master", goal="Tides", backstory="b", llm=_llm(sim),
                  tools=[tide_table])
    task = Task(description="sim-call: tide_table {\"place\": \"Brest\"}\nTides for Brest",
                expected_output="the tides", agent=agent)
    result = await Crew(tasks=[task]).akickoff()
    assert result.raw.startswith("Result: High tide at Brest: 06:12 and 18:40.")
    first, second = (r.body for r in sim.stats.requests)
    [declared] = first["tools"]
    assert declared["name"] == "tide_table"
    assert declared["input_schema"]["properties"]["place"]["type"] == "string"
    assistant, results = second["messages"][-2:]
    [call] = assistant["content"]
    assert (call["type"], call["name"], call["input"]) == ("tool_use", "tide_table",
                                                           {"place": "Brest"})
    [answer] = results["content"]
    assert answer["type"] == "tool_result" and answer["tool_use_id"] == call["id"]
    assert answer["content"] == "High tide at Brest: 06:12 and 18:40"
    assert result.token_usage.successful_requests == 2


@pytest.mark.asyncio
async def test_the_forced_final_answer_after_tool_calls_is_accepted(sim: Simulator) -> None:
    agent = Agent(role="Harbour master", goal="Tides", backstory="b", llm=_llm(sim),
                  tools=[tide_table], max_iter=1)
    task = Task(description="Tides for Brest", expected_output="the tides", agent=agent)
    result = await Crew(tasks=[task]).akickoff()
    assert result.raw.startswith("Answer to:")
    last = sim.stats.requests[-1].body
    assert last["tool_choice"] == {"type": "none"}  # the history holds tool_use blocks
    assert [tool["name"] for tool in last["tools"]] == ["dummy_tool"]


class Tides(BaseModel):
    place: str
    high_tides: list[str]


@pytest.mark.asyncio
async def test_structured_output_asks_for_a_forced_tool_and_reads_its_arguments(
    sim: Simulator,
) -> None:
    agent = Agent(role="Harbour master", goal="Tides", backstory="b", llm=_llm(sim))
    task = Task(description="Tides for Brest", expected_output="the tides", agent=agent,
                output_pydantic=Tides)
    result = await Crew(tasks=[task]).akickoff()
    assert isinstance(result.pydantic, Tides) and result.pydantic.high_tides
    [request] = sim.stats.requests
    assert request.body["tool_choice"] == {"type": "tool", "name": "json_tool_call"}
    [json_tool] = request.body["tools"]
    assert json_tool["input_schema"]["required"] == ["place", "high_tides"]


def test_history_with_tool_calls_and_no_tools_offers_a_tool_it_may_not_call() -> None:
    route = routes.route_for(MODEL, "http://127.0.0.1:9", "k", {})
    assert route is not None
    history: list[dict[str, Any]] = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Q"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "a", "arguments": "{}"}},
            {"id": "t2", "type": "function", "function": {"name": "b", "arguments": "{\"x\": 1}"}},
        ]},
        {"role": "tool", "tool_call_id": "t1", "content": "A"},
        {"role": "tool", "tool_call_id": "t2", "content": "B"},
        {"role": "user", "content": "Answer now."},
    ]
    body, headers = anthropic.request_body(route, history, None,
                                           {"temperature": 0.1, "seed": 3, "stop": "END"})
    assert [turn["role"] for turn in body["messages"]] == ["user", "assistant", "user"]
    assert [block["type"] for block in body["messages"][2]["content"]] == [
        "tool_result", "tool_result", "text"]
    assert body["tool_choice"] == {"type": "none"} and len(body["tools"]) == 1
    assert body["stop_sequences"] == ["END"] and "seed" not in body
    assert headers == {"anthropic-version": "2023-06-01", "x-api-key": "k"}


# --- a recorded event stream ---------------------------------------------------------------

# What Anthropic streams for a text block then two tool calls, cache usage included (recorded
# shape, ids and text shortened).
_EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
     "model": "claude-haiku-4-5", "content": [], "stop_reason": None,
     "usage": {"input_tokens": 40, "cache_read_input_tokens": 8,
               "cache_creation_input_tokens": 2, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "ping"},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let"}},
    {"type": "content_block_delta", "index": 0,
     "delta": {"type": "text_delta", "text": " me look."}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {
        "type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {}}},
    {"type": "content_block_delta", "index": 1,
     "delta": {"type": "input_json_delta", "partial_json": "{\"city\": "}},
    {"type": "content_block_delta", "index": 1,
     "delta": {"type": "input_json_delta", "partial_json": "\"Paris\"}"}},
    {"type": "content_block_stop", "index": 1},
    {"type": "content_block_start", "index": 2, "content_block": {
        "type": "tool_use", "id": "toolu_b", "name": "get_time", "input": {}}},
    {"type": "content_block_stop", "index": 2},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
     "usage": {"output_tokens": 31}},
    {"type": "message_stop"},
]


def _sse(events: list[dict[str, Any]]) -> bytes:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def test_a_recorded_stream_gives_text_tool_calls_and_cached_usage(
    wire: Callable[[Handler], list[httpx.Request]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    seen = wire(lambda _r: httpx.Response(200, headers={"content-type": "text/event-stream"},
                                          content=_sse(_EVENTS)))
    result = LLM("claude-haiku-4-5", max_tokens=500).call([{"role": "user", "content": "x"}])
    assert result.text == "Let me look."
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("toolu_a", "get_weather", '{"city": "Paris"}'), ("toolu_b", "get_time", "{}")]
    assert result.finish_reason == "tool_calls"
    usage = result.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_prompt_tokens) == (
        50, 31, 8)
    [request] = seen
    assert str(request.url) == "https://api.anthropic.com/v1/messages"
    assert request.headers["x-api-key"] == "sk-ant-env"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in request.headers
    assert json.loads(request.content)["max_tokens"] == 500


def test_an_answer_sent_whole_is_read_as_the_stream_would_be(
    wire: Callable[[Handler], list[httpx.Request]],
) -> None:
    message = {"type": "message", "role": "assistant", "stop_reason": "tool_use",
               "content": [{"type": "text", "text": "Checking."},
                           {"type": "tool_use", "id": "toolu_z", "name": "get_time",
                            "input": {"zone": "UTC"}}],
               "usage": {"input_tokens": 9, "output_tokens": 4}}
    wire(lambda _r: httpx.Response(200, json=message))
    pieces: list[str] = []
    result = LLM(MODEL, api_key="k").call([{"role": "user", "content": "x"}],
                                          on_text=pieces.append)
    assert (result.text, pieces, result.finish_reason) == ("Checking.", ["Checking."],
                                                           "tool_calls")
    [call] = result.tool_calls
    assert (call.id, call.name, call.arguments) == ("toolu_z", "get_time", '{"zone": "UTC"}')
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (9, 4)


def test_an_error_event_inside_the_stream_keeps_its_kind(
    wire: Callable[[Handler], list[httpx.Request]],
) -> None:
    events = [*_EVENTS[:4], {"type": "error", "error": {"type": "overloaded_error",
                                                        "message": "Overloaded"}}]
    wire(lambda _r: httpx.Response(200, headers={"content-type": "text/event-stream"},
                                   content=_sse(events)))
    with pytest.raises(LLMError) as caught:
        LLM(MODEL, api_key="k", max_retries=0).call([{"role": "user", "content": "x"}])
    assert (caught.value.kind, caught.value.status_code) == ("server", 529)
    assert "Overloaded" in str(caught.value)


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("settings", "kind", "status", "words"),
    [
        ("status=401", "auth", 401, "the key for anthropic was refused; check it in Settings "
         "[HTTP 401]: invalid x-api-key"),
        ("status=429,retry_after=2", "rate_limit", 429,
         "is rate limiting requests [HTTP 429]: Number of request tokens has exceeded"),
        ("status=529", "server", 529, "had a server error [HTTP 529]: Overloaded (simulated)."),
        ("context=2", "bad_request", 400,
         "rejected the request [HTTP 400]: prompt is too long: 6 tokens > 2 maximum"),
    ],
)
async def test_provider_errors_get_their_kind_status_and_words(
    sim: Simulator, settings: str, kind: str, status: int, words: str
) -> None:
    with pytest.raises(LLMError) as caught:
        await _llm(sim, settings, max_retries=0).acall(_messages())
    error = caught.value
    assert (error.kind, error.status_code, error.provider) == (kind, status, "anthropic")
    assert words in str(error)
    assert error.retry_after == (2.0 if status == 429 else None)


@pytest.mark.asyncio
async def test_overloaded_and_rate_limited_calls_are_retried(sim: Simulator) -> None:
    result = await _llm(sim, "status=529,fail_times=2", max_retries=2).acall(_messages())
    assert result.text.startswith("Answer to:") and len(sim.stats.requests) == 3


@pytest.mark.parametrize("settings", ["status=401", "status=429", "status=500", "status=400"])
def test_errors_read_as_on_the_litellm_path(
    sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch, settings: str
) -> None:
    errors: list[tuple[str, int | None, str]] = []
    for mode in ("native", "litellm"):
        monkeypatch.setenv(routes.CLIENT_ENV, mode)
        with pytest.raises(LLMError) as caught:
            _llm(sim_thread, settings, max_retries=0).call(_messages())
        errors.append((caught.value.kind, caught.value.status_code, str(caught.value)))
    assert errors[0] == errors[1]


def test_an_auth_token_is_sent_as_a_bearer_when_no_key_is_set(
    wire: Callable[[Handler], list[httpx.Request]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "oauth-token")
    seen = wire(lambda _r: httpx.Response(200, headers={"content-type": "text/event-stream"},
                                          content=_sse(_EVENTS)))
    LLM(MODEL).call([{"role": "user", "content": "x"}])
    [request] = seen
    assert request.headers["authorization"] == "Bearer oauth-token"
    assert "x-api-key" not in request.headers


def test_no_key_for_anthropic_itself_fails_before_any_request(
    wire: Callable[[Handler], list[httpx.Request]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    seen = wire(lambda _r: httpx.Response(500))
    with pytest.raises(LLMError) as caught:
        LLM(MODEL, max_retries=0).call([{"role": "user", "content": "x"}])
    assert caught.value.kind == "auth" and "ANTHROPIC_API_KEY" in str(caught.value)
    assert seen == []


@pytest.mark.asyncio
async def test_a_dropped_stream_and_a_malformed_event_are_named(sim: Simulator) -> None:
    with pytest.raises(LLMError) as dropped:
        await _llm(sim, "drop_after=3", max_retries=0).acall(_messages())
    assert dropped.value.kind == "stream_dropped"
    with pytest.raises(LLMError) as malformed:
        await _llm(sim, "malformed=1", max_retries=0).acall(_messages())
    assert malformed.value.kind == "malformed"


# --- cancellation, routing, imports --------------------------------------------------------


@pytest.mark.asyncio
async def test_cancelling_mid_stream_closes_the_connection(sim: Simulator) -> None:
    first = asyncio.Event()
    call = asyncio.ensure_future(_llm(sim, "tps=20,tokens=200").acall(
        _messages(), on_text=lambda _text: first.set()))
    await asyncio.wait_for(first.wait(), 5)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(500):
        if sim.stats.streams_aborted_by_client == 1:
            break
        await asyncio.sleep(0.01)
    assert sim.stats.streams_aborted_by_client == 1 and sim.stats.streams_completed == 0


@pytest.mark.parametrize(
    ("model", "base_url", "env", "expected"),
    [
        ("anthropic/claude-haiku-4-5", None, {}, ("claude-haiku-4-5",
                                                  "https://api.anthropic.com")),
        ("claude-sonnet-4-5", None, {}, ("claude-sonnet-4-5", "https://api.anthropic.com")),
        ("anthropic/claude-x", None, {"ANTHROPIC_BASE_URL": "https://proxy.example/"},
         ("claude-x", "https://proxy.example")),
        ("anthropic/claude-x", "http://127.0.0.1:8/v1", {"ANTHROPIC_BASE_URL": "https://p"},
         ("claude-x", "http://127.0.0.1:8/v1")),
    ],
)
def test_which_anthropic_models_go_native_and_where(
    monkeypatch: pytest.MonkeyPatch, model: str, base_url: str | None, env: dict[str, str],
    expected: tuple[str, str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    route = routes.route_for(model, base_url, "k", {})
    assert route is not None and route.protocol == "anthropic"
    assert (route.model, route.base_url) == expected
    assert anthropic.messages_url(route.base_url).endswith("/v1/messages")
    assert routes.route_for(model, base_url, "k", {"mock_response": "x"}) is None
    monkeypatch.setenv(routes.CLIENT_ENV, "litellm")
    assert routes.route_for(model, base_url, "k", {}) is None


def test_a_crew_on_an_anthropic_model_never_imports_litellm() -> None:
    code = textwrap.dedent("""
        import asyncio, sys
        from desktop_app.engine import LLM, Agent, Crew, Task
        from desktop_app.simulator import SimulatorThread
        with SimulatorThread() as sim:
            llm = LLM(model="anthropic/claude-haiku-4-5", base_url=sim.root_url, api_key="k")
            agent = Agent(role="A", goal="g", backstory="b", llm=llm)
            crew = Crew(tasks=[Task(description="Say {x}", expected_output="t", agent=agent)])
            assert asyncio.run(crew.akickoff({"x": "a"})).raw
            assert crew.kickoff({"x": "b"}).raw
        print(sorted(m for m in ("litellm", "openai", "anthropic") if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**os.environ, routes.CLIENT_ENV: "native"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
