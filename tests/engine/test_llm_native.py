"""The native OpenAI-protocol client: routing, recorded wire formats, errors, and no litellm."""

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

from desktop_app.engine import LLM, LLMError, _http_transport
from desktop_app.engine import _llm_routes as routes
from desktop_app.simulator import Simulator

Handler = Callable[[httpx.Request], httpx.Response]

# What OpenAI's API streams for two parallel tool calls with usage (recorded shape, ids shortened).
_TOOL_CALL_STREAM: list[dict[str, Any]] = [
    {"choices": [{"index": 0, "delta": {"role": "assistant", "content": None, "tool_calls": [
        {"index": 0, "id": "call_a", "type": "function",
         "function": {"name": "get_weather", "arguments": ""}}]}, "finish_reason": None}],
     "usage": None},
    {"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "function": {"arguments": "{\"city\": "}}]}, "finish_reason": None}],
     "usage": None},
    {"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 1, "id": "call_b", "type": "function",
         "function": {"name": "get_time", "arguments": "{}"}}]}, "finish_reason": None}],
     "usage": None},
    {"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "function": {"arguments": "\"Paris\"}"}}]}, "finish_reason": None}],
     "usage": None},
    {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}], "usage": None},
    {"choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42,
                              "prompt_tokens_details": {"cached_tokens": 8}}},
]


def _sse(chunks: list[dict[str, Any]]) -> bytes:
    lines = [f"data: {json.dumps({'id': 'chatcmpl-1', 'object': 'chat.completion.chunk', **c})}"
             for c in chunks]
    return ("\n\n".join([*lines, "data: [DONE]"]) + "\n\n").encode()


def _stream_reply(body: bytes) -> Handler:
    return lambda _request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=body
    )


class Weather(BaseModel):
    city: str
    celsius: float


def test_streamed_tool_calls_are_assembled_by_index_with_usage_and_price(
    wire: Callable[[Handler], list[httpx.Request]],
) -> None:
    seen = wire(_stream_reply(_sse(_TOOL_CALL_STREAM)))
    llm = LLM("openai/gpt-4o-mini", api_key="sk-x", temperature=0.2, seed=7, stop=["END"],
              response_format=Weather, tool_choice="auto")
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    result = llm.call([{"role": "user", "content": "weather?"}], tools=tools)

    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("call_a", "get_weather", '{"city": "Paris"}'), ("call_b", "get_time", "{}")]
    assert result.finish_reason == "tool_calls"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens,
            result.usage.cached_prompt_tokens) == (30, 12, 8)
    assert result.cost_usd is not None and result.cost_usd > 0  # litellm's price file, read alone
    [request] = seen
    assert str(request.url) == "https://api.openai.com/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-x"
    body = json.loads(request.content)
    assert body["model"] == "gpt-4o-mini" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert (body["temperature"], body["seed"], body["stop"], body["tool_choice"]) == (
        0.2, 7, ["END"], "auto")
    assert body["tools"] == tools
    schema = body["response_format"]["json_schema"]
    assert schema["name"] == "Weather" and schema["strict"] is True
    assert schema["schema"]["required"] == ["city", "celsius"]


def test_a_non_streamed_answer_is_read_as_one_chunk(
    wire: Callable[[Handler], list[httpx.Request]],
) -> None:
    completion = {"choices": [{"index": 0, "finish_reason": "stop",
                               "message": {"role": "assistant", "content": "Hello."}}],
                  "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}
    wire(lambda _request: httpx.Response(200, json=completion))
    pieces: list[str] = []
    result = LLM("lm_studio/qwen", base_url="http://127.0.0.1:1234/v1/").call(
        [{"role": "user", "content": "hi"}], on_text=pieces.append)
    assert (result.text, pieces, result.usage.total_tokens) == ("Hello.", ["Hello."], 5)


def test_reasoning_models_get_max_completion_tokens_and_no_temperature(
    wire: Callable[[Handler], list[httpx.Request]],
) -> None:
    chunks = [{"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}]
    seen = wire(_stream_reply(_sse(chunks)))
    LLM("openai/o3-mini", api_key="k", temperature=0.3, max_tokens=50).call(
        [{"role": "user", "content": "x"}])
    body = json.loads(seen[0].content)
    assert body["max_completion_tokens"] == 50
    assert "max_tokens" not in body and "temperature" not in body


@pytest.mark.parametrize(
    ("status", "payload", "headers", "kind", "words"),
    [
        (401, {"error": {"message": "Invalid API Key", "code": "invalid_api_key"}}, {}, "auth",
         "the key for groq was refused"),
        (429, {"error": {"message": "Rate limit reached"}}, {"retry-after": "2"}, "rate_limit",
         "Rate limit reached"),
        (400, {"error": {"message": "This model's maximum context length is 8192 tokens.",
                         "code": "context_length_exceeded"}}, {}, "bad_request",
         "maximum context length"),
        (503, {"error": {"message": "overloaded"}}, {}, "server", "[HTTP 503]: overloaded"),
    ],
)
def test_provider_errors_keep_their_kind_status_and_words(
    wire: Callable[[Handler], list[httpx.Request]], status: int, payload: dict[str, Any],
    headers: dict[str, str], kind: str, words: str,
) -> None:
    wire(lambda _request: httpx.Response(status, json=payload, headers=headers))
    with pytest.raises(LLMError) as caught:
        LLM("groq/llama-3.1-8b-instant", api_key="k", max_retries=0).call(
            [{"role": "user", "content": "x"}])
    error = caught.value
    assert (error.kind, error.status_code, error.provider) == (kind, status, "groq")
    assert words in str(error)
    assert error.retry_after == (2.0 if status == 429 else None)


def test_a_malformed_chunk_is_a_malformed_error(
    wire: Callable[[Handler], list[httpx.Request]],
) -> None:
    wire(_stream_reply(b'data: {"choices": [{"delta": {"content": "a"}}]}\n\ndata: {oops\n\n'))
    with pytest.raises(LLMError) as caught:
        LLM("openai/gpt-4o", api_key="k", max_retries=0).call([{"role": "user", "content": "x"}])
    assert caught.value.kind == "malformed"


def test_no_key_for_openai_itself_fails_before_any_request(
    wire: Callable[[Handler], list[httpx.Request]],
) -> None:
    seen = wire(_stream_reply(b""))
    with pytest.raises(LLMError) as caught:
        LLM("gpt-4o-mini", max_retries=0).call([{"role": "user", "content": "x"}])
    assert caught.value.kind == "auth" and "OPENAI_API_KEY" in str(caught.value)
    assert seen == []


@pytest.mark.parametrize(
    ("model", "base_url", "expected"),
    [
        ("openai/gpt-4o-mini", None, ("openai", "gpt-4o-mini", "https://api.openai.com/v1")),
        ("gpt-4o", None, ("openai", "gpt-4o", "https://api.openai.com/v1")),
        ("groq/llama3", None, ("groq", "llama3", "https://api.groq.com/openai/v1")),
        ("openrouter/openai/gpt-4o", None,
         ("openrouter", "openai/gpt-4o", "https://openrouter.ai/api/v1")),
        ("ollama/llama3.2", "http://localhost:11434/v1/", ("ollama", "llama3.2",
                                                           "http://localhost:11434/v1")),
        ("ollama/llama3.2", "http://localhost:11434", ("ollama", "llama3.2",
                                                       "http://localhost:11434/v1")),
        ("ollama_chat/qwen3", None, ("ollama_chat", "qwen3", "http://localhost:11434/v1")),
        ("anthropic/claude-3-5-haiku", None,  # Anthropic's own protocol: test_llm_anthropic.py
         ("anthropic", "claude-3-5-haiku", "https://api.anthropic.com")),
        ("bedrock/anthropic.claude", None, None),
        ("hosted_vllm/qwen", None, None),  # no base URL known
        ("hosted_vllm/qwen", "http://gpu:8000/v1", ("hosted_vllm", "qwen", "http://gpu:8000/v1")),
        ("mystery-model", "http://localhost:8000/v1", None),
    ],
)
def test_which_models_go_native(
    model: str, base_url: str | None, expected: tuple[str, str, str] | None,
) -> None:
    route = routes.route_for(model, base_url, "k", {})
    got = None if route is None else (route.provider, route.model, route.base_url)
    assert got == expected


def test_the_switch_picks_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    assert routes.route_for("openai/gpt-4o", None, "k", {"mock_response": "x"}) is None
    monkeypatch.setenv(routes.CLIENT_ENV, "litellm")
    assert routes.route_for("openai/gpt-4o", None, "k", {}) is None
    monkeypatch.setenv(routes.CLIENT_ENV, "native")
    with pytest.raises(LLMError, match="needs litellm"):
        LLM("bedrock/anthropic.claude").call([{"role": "user", "content": "x"}])


@pytest.mark.asyncio
async def test_the_litellm_fallback_still_runs_a_call(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(routes.CLIENT_ENV, "litellm")
    llm = LLM("hosted_vllm/sim:tokens=5", base_url=sim.base_url, api_key="k")
    result = await llm.acall([{"role": "user", "content": "hi"}])
    assert result.text and result.usage.completion_tokens == 5
    assert "litellm" in sys.modules


def test_a_first_crew_and_embeddings_on_the_native_path_never_import_litellm() -> None:
    code = textwrap.dedent("""
        import asyncio, sys
        import desktop_app.engine
        assert "litellm" not in sys.modules and "httpx" not in sys.modules
        from desktop_app.engine import LLM, Agent, Crew, Task
        from desktop_app.simulator import SimulatorThread
        with SimulatorThread() as sim:
            llm = LLM(model="openai/sim:ttft=0,tokens=8", base_url=sim.base_url, api_key="k")
            agent = Agent(role="A", goal="g", backstory="b", llm=llm)
            crew = Crew(tasks=[Task(description="Say {x}", expected_output="t", agent=agent)])
            assert asyncio.run(crew.akickoff({"x": "a"})).raw
            assert crew.kickoff({"x": "b"}).raw
            embedder = desktop_app.engine.Embedder(
                "openai/text-embedding-3-small", api_base=sim.base_url, api_key="k")
            assert len(embedder.embed(["a", "b"])) == 2
            assert len(asyncio.run(embedder.aembed(["c"]))) == 1
        print(sorted(m for m in ("litellm", "openai") if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={**os.environ, routes.CLIENT_ENV: "auto"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_connection_closed_before_any_answer_is_retried(
    wire: Callable[[Handler], list[httpx.Request]],
) -> None:
    chunks = [{"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}]
    answers: list[Handler] = [_stream_reply(_sse(chunks))]

    def handler(request: httpx.Request) -> httpx.Response:
        if len(seen) == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return answers[0](request)

    seen = wire(handler)
    result = LLM("openai/gpt-4o", api_key="k", max_retries=1, retry_base_delay=0.0).call(
        [{"role": "user", "content": "x"}])
    assert result.text == "ok" and len(seen) == 2


def test_each_loop_has_one_client_closed_when_the_loop_ends(sim_thread: Any) -> None:
    llm = LLM("openai/sim:tokens=3", base_url=sim_thread.base_url, api_key="k")
    clients: list[httpx.AsyncClient] = []
    loops: list[asyncio.AbstractEventLoop] = []

    async def two_calls() -> None:
        loops.append(asyncio.get_running_loop())
        for _ in range(2):
            await llm.acall([{"role": "user", "content": "x"}])
            clients.append(await _http_transport.loop_client())

    asyncio.run(two_calls())
    assert clients[0] is clients[1] and clients[0].is_closed
    assert loops[0] not in _http_transport._loop_clients


def test_azure_openai_gets_its_deployment_url_version_and_key_header(
    wire: Callable[[Handler], list[httpx.Request]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_API_BASE", "https://crewdesk.openai.azure.com/")
    monkeypatch.setenv("AZURE_API_KEY", "az-key")
    # Azure's first chunk carries only prompt_filter_results (no choices).
    chunks: list[dict[str, Any]] = [{"choices": [], "prompt_filter_results": [{"prompt_index": 0}]},
              {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]}]
    seen = wire(_stream_reply(_sse(chunks)))
    result = LLM("azure/my-gpt4o", api_version="2024-10-21").call(
        [{"role": "user", "content": "x"}])
    assert result.text == "hi"
    [request] = seen
    assert str(request.url) == ("https://crewdesk.openai.azure.com/openai/deployments/my-gpt4o/"
                                "chat/completions?api-version=2024-10-21")
    assert request.headers["api-key"] == "az-key" and "authorization" not in request.headers
    body = json.loads(request.content)
    assert "api_version" not in body and body["model"] == "my-gpt4o"
    monkeypatch.delenv("AZURE_API_BASE")
    assert routes.route_for("azure/my-gpt4o", None, "k", {}) is None  # no endpoint known
