"""The native Gemini client: real HTTP to the simulator's `:streamGenerateContent`, a recorded
stream, schemas cut to Gemini's subset, errors as litellm's path, and no litellm imported."""

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
from desktop_app.engine import _gemini_protocol as gemini
from desktop_app.engine import _llm_routes as routes
from desktop_app.simulator import Simulator, SimulatorThread

Handler = Callable[[httpx.Request], httpx.Response]
MODEL = "gemini/gemini-2.5-flash"
PRICE = (3e-7, 2.5e-6)  # litellm's price file: gemini/gemini-2.5-flash, USD per token


def _llm(sim: Simulator | SimulatorThread, settings: str = "", **options: Any) -> LLM:
    """A Gemini LLM on the simulator; `settings` picks its behaviour (`gemini/sim:...`)."""
    model = f"gemini/sim:{settings}" if settings else MODEL
    options.setdefault("retry_base_delay", 0.01)
    return LLM(model=model, base_url=sim.root_url, api_key="AIza-test", **options)


def _messages(text: str = "Summarise the tides") -> list[dict[str, Any]]:
    return [{"role": "system", "content": "You are brief."}, {"role": "user", "content": text}]


@pytest.mark.asyncio
async def test_a_streamed_answer_arrives_in_order_with_usage_and_cost(sim: Simulator) -> None:
    pieces: list[str] = []
    result = await _llm(sim, temperature=0.2, max_tokens=300).acall(
        _messages(), on_text=pieces.append)
    assert len(pieces) == 20 and "".join(pieces) == result.text
    assert result.text.startswith("Answer to: Summarise the tides.")
    assert result.finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (6, 20)
    assert result.cost_usd == pytest.approx(6 * PRICE[0] + 20 * PRICE[1])
    [request] = sim.stats.requests
    assert request.path == "/models/gemini-2.5-flash:streamGenerateContent"
    body = request.body
    assert body["systemInstruction"] == {"parts": [{"text": "You are brief."}]}
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Summarise the tides"}]}]
    assert body["generationConfig"] == {"temperature": 0.2, "maxOutputTokens": 300}


def test_the_blocking_call_streams_the_same_answer(sim_thread: SimulatorThread) -> None:
    pieces: list[str] = []
    result = _llm(sim_thread, "tokens=7").call(_messages(), on_text=pieces.append)
    assert len(pieces) == 7 and "".join(pieces) == result.text


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
    [declaration] = first["tools"][0]["functionDeclarations"]
    assert declaration["name"] == "tide_table"
    assert declaration["parameters"]["properties"]["place"]["type"] == "string"
    model_turn, answer_turn = second["contents"][-2:]
    assert model_turn == {"role": "model", "parts": [
        {"functionCall": {"name": "tide_table", "args": {"place": "Brest"}}}]}
    assert answer_turn == {"role": "user", "parts": [{"functionResponse": {
        "name": "tide_table", "response": {"content": "High tide at Brest: 06:12 and 18:40"}}}]}


class Tides(BaseModel):
    place: str
    high_tides: list[str]
    note: str | None = None


@pytest.mark.asyncio
async def test_structured_output_asks_for_a_response_schema(sim: Simulator) -> None:
    agent = Agent(role="Harbour master", goal="Tides", backstory="b", llm=_llm(sim))
    task = Task(description="Tides for Brest", expected_output="the tides", agent=agent,
                output_pydantic=Tides)
    result = await Crew(tasks=[task]).akickoff()
    assert isinstance(result.pydantic, Tides) and result.pydantic.high_tides
    config = sim.stats.requests[0].body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config["responseSchema"]
    assert schema["properties"]["note"] == {"type": "string", "nullable": True}
    assert "title" not in schema and "additionalProperties" not in schema


def test_schemas_are_cut_to_geminis_subset() -> None:
    schema = {
        "$defs": {"Item": {"type": "object", "title": "Item", "additionalProperties": False,
                           "properties": {"kind": {"enum": [1, 2]}}}},
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
                       "when": {"type": ["string", "null"], "format": "date"}},
        "required": ["items"],
    }
    assert gemini.gemini_schema(schema) == {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "kind": {"enum": ["1", "2"], "type": "string"}}}},
            "when": {"type": "string", "nullable": True, "format": "date"},
        },
        "required": ["items"],
    }


# --- a recorded stream -------------------------------------------------------------------

_RESPONSES: list[dict[str, Any]] = [
    {"candidates": [{"content": {"parts": [{"text": "Let me"}], "role": "model"}, "index": 0}],
     "usageMetadata": {"promptTokenCount": 40, "totalTokenCount": 40},
     "modelVersion": "gemini-2.5-flash"},
    {"candidates": [{"content": {"parts": [
        {"text": "Thinking about it", "thought": True},
        {"text": " look."},
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
         "thoughtSignature": "c2lnMQ=="},
        {"functionCall": {"name": "get_time", "args": {}}}], "role": "model"},
        "finishReason": "STOP", "index": 0}],
     "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 21,
                       "thoughtsTokenCount": 10, "cachedContentTokenCount": 8,
                       "totalTokenCount": 71}},
]


def test_a_recorded_stream_gives_text_calls_signatures_and_usage(
    wire: Callable[[Handler], list[httpx.Request]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-env")
    sse = "".join(f"data: {json.dumps(r)}\r\n\r\n" for r in _RESPONSES).encode()
    seen = wire(lambda _r: httpx.Response(200, headers={"content-type": "text/event-stream"},
                                          content=sse))
    result = LLM(MODEL).call([{"role": "user", "content": "x"}])
    assert result.text == "Let me look."  # the thought part is not the answer
    [weather, time] = result.tool_calls
    assert (weather.name, weather.arguments, time.name) == (
        "get_weather", '{"city": "Paris"}', "get_time")
    assert weather.id.endswith("__thought__c2lnMQ==")
    assert result.finish_reason == "tool_calls"
    usage = result.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_prompt_tokens) == (
        40, 31, 8)
    [request] = seen
    assert str(request.url) == ("https://generativelanguage.googleapis.com/v1beta/models/"
                                "gemini-2.5-flash:streamGenerateContent?alt=sse")
    assert request.headers["x-goog-api-key"] == "AIza-env"
    # The signature goes back with the call, as Gemini requires.
    route = routes.route_for(MODEL, None, "k", {})
    assert route is not None
    history: list[dict[str, Any]] = [{"role": "user", "content": "x"},
               {"role": "assistant", "content": None, "tool_calls": [
                   {"id": weather.id, "type": "function",
                    "function": {"name": "get_weather", "arguments": weather.arguments}}]},
               {"role": "tool", "tool_call_id": weather.id, "content": "sunny"}]
    body, _ = gemini.request_body(route, history, None, {})
    call_part = body["contents"][1]["parts"][0]
    assert call_part["thoughtSignature"] == "c2lnMQ=="
    assert body["contents"][2]["parts"][0]["functionResponse"]["name"] == "get_weather"


def test_a_stream_sent_as_one_json_array_is_read_whole(
    wire: Callable[[Handler], list[httpx.Request]],
) -> None:
    wire(lambda _r: httpx.Response(200, json=_RESPONSES))
    result = LLM(MODEL, api_key="k").call([{"role": "user", "content": "x"}])
    assert result.text == "Let me look." and len(result.tool_calls) == 2
    assert result.finish_reason == "tool_calls" and result.usage.total_tokens == 71


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("settings", "kind", "status", "words"),
    [
        ("status=401", "auth", 401, "the key for gemini was refused; check it in Settings "
         "[HTTP 401]: API key not valid."),
        ("status=429,retry_after=2", "rate_limit", 429,
         "is rate limiting requests [HTTP 429]: Resource has been exhausted"),
        ("status=503", "server", 503, "had a server error [HTTP 503]: The model is overloaded."),
        ("context=2", "bad_request", 400, "rejected the request [HTTP 400]: The input token "
         "count (6) exceeds the maximum number of tokens allowed (2)."),
    ],
)
async def test_provider_errors_get_their_kind_status_and_words(
    sim: Simulator, settings: str, kind: str, status: int, words: str
) -> None:
    with pytest.raises(LLMError) as caught:
        await _llm(sim, settings, max_retries=0).acall(_messages())
    error = caught.value
    assert (error.kind, error.status_code, error.provider) == (kind, status, "gemini")
    assert words in str(error)
    assert error.retry_after == (2.0 if status == 429 else None)


def test_a_retry_delay_in_the_body_is_honoured(
    wire: Callable[[Handler], list[httpx.Request]],
) -> None:
    error = {"error": {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED",
                       "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                    "retryDelay": "13s"}]}}
    wire(lambda _r: httpx.Response(429, json=error))
    with pytest.raises(LLMError) as caught:
        LLM(MODEL, api_key="k", max_retries=0).call([{"role": "user", "content": "x"}])
    assert (caught.value.kind, caught.value.retry_after) == ("rate_limit", 13.0)
    assert str(caught.value).endswith("[HTTP 429]: Quota exceeded.")


@pytest.mark.parametrize("settings", ["status=401", "status=500", "status=400"])
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


@pytest.mark.asyncio
async def test_a_dropped_stream_and_a_malformed_event_are_named(sim: Simulator) -> None:
    with pytest.raises(LLMError) as dropped:
        await _llm(sim, "drop_after=3", max_retries=0).acall(_messages())
    assert dropped.value.kind == "stream_dropped"
    with pytest.raises(LLMError) as malformed:
        await _llm(sim, "malformed=1", max_retries=0).acall(_messages())
    assert malformed.value.kind == "malformed"


def test_no_key_for_gemini_itself_fails_before_any_request(
    wire: Callable[[Handler], list[httpx.Request]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    seen = wire(lambda _r: httpx.Response(500))
    with pytest.raises(LLMError) as caught:
        LLM(MODEL, max_retries=0).call([{"role": "user", "content": "x"}])
    assert caught.value.kind == "auth"
    assert "GOOGLE_API_KEY or GEMINI_API_KEY is not set" in str(caught.value)
    assert seen == []


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


def test_which_gemini_models_go_native(monkeypatch: pytest.MonkeyPatch) -> None:
    route = routes.route_for(MODEL, None, "k", {})
    assert route is not None and route.protocol == "gemini"
    assert (route.model, route.base_url) == (
        "gemini-2.5-flash", "https://generativelanguage.googleapis.com/v1beta")
    monkeypatch.setenv("GEMINI_API_BASE", "https://proxy.example/v1beta/")
    assert gemini.stream_url(routes.route_for(MODEL, None, "k", {})) == (  # type: ignore[arg-type]
        "https://proxy.example/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
    assert routes.route_for("vertex_ai/gemini-2.5-flash", None, "k", {}) is None
    # Gemini embeddings stay on litellm; chat is native.
    assert routes.route_for("gemini/text-embedding-004", None, "k", {},
                            purpose="embeddings") is None


def test_a_crew_on_a_gemini_model_never_imports_litellm() -> None:
    code = textwrap.dedent("""
        import asyncio, sys
        from desktop_app.engine import LLM, Agent, Crew, Task
        from desktop_app.simulator import SimulatorThread
        with SimulatorThread() as sim:
            llm = LLM(model="gemini/gemini-2.5-flash", base_url=sim.root_url, api_key="k")
            agent = Agent(role="A", goal="g", backstory="b", llm=llm)
            crew = Crew(tasks=[Task(description="Say {x}", expected_output="t", agent=agent)])
            assert asyncio.run(crew.akickoff({"x": "a"})).raw
            assert crew.kickoff({"x": "b"}).raw
        print(sorted(m for m in ("litellm", "openai", "google") if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**os.environ, routes.CLIENT_ENV: "native"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
