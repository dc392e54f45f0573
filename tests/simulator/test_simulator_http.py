"""The HTTP API, driven with plain httpx and raw sockets."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import struct
import time
from typing import Any

import httpx
import pytest

from desktop_app.simulator import Simulator

pytestmark = pytest.mark.asyncio

QUESTION = [{"role": "user", "content": "How high are the tides?"}]


async def sse_payloads(client: httpx.AsyncClient, body: dict[str, Any]) -> list[str]:
    """Stream a completion and return the text after every ``data: ``."""
    async with client.stream("POST", "/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["transfer-encoding"] == "chunked"
        return [line.removeprefix("data: ") async for line in response.aiter_lines()
                if line.startswith("data: ")]


async def wait_for(condition: Any, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_non_streamed_completion_has_openai_shape(client: httpx.AsyncClient) -> None:
    response = await client.post("/chat/completions",
                                 json={"model": "sim:tokens=12", "messages": QUESTION})
    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-")
    assert data["model"] == "sim:tokens=12"
    (choice,) = data["choices"]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"].startswith("Answer to: How high are the tides?. ")
    assert data["usage"] == {"prompt_tokens": 5, "completion_tokens": 12, "total_tokens": 17}


async def test_streamed_completion_has_openai_shape(client: httpx.AsyncClient) -> None:
    body = {"model": "sim:tokens=15", "messages": QUESTION, "stream": True,
            "stream_options": {"include_usage": True}}
    payloads = await sse_payloads(client, body)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    content = [c["choices"][0]["delta"]["content"] for c in chunks[:15]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(content).startswith("Answer to: How high are the tides?. ")
    assert all(a != b for a, b in zip(content, content[1:], strict=False))
    assert chunks[15]["choices"][0]["finish_reason"] == "stop"
    assert chunks[15]["choices"][0]["delta"] == {}
    assert chunks[16]["choices"] == []
    assert chunks[16]["usage"] == {"prompt_tokens": 5, "completion_tokens": 15,
                                   "total_tokens": 20}
    assert len(chunks) == 17


@pytest.mark.parametrize("model", ["gpt-4o", "anthropic/claude-3-5-sonnet", "ollama/llama3:8b"])
async def test_any_model_name_is_answered_like_sim(client: httpx.AsyncClient, model: str) -> None:
    response = await client.post("/chat/completions", json={"model": model, "messages": QUESTION})
    assert response.status_code == 200
    data = response.json()
    assert data["model"] == model
    assert data["choices"][0]["message"]["content"].startswith("Answer to: How high are the tides?.")
    embedded = await client.post("/embeddings", json={"model": model, "input": "tides"})
    assert embedded.status_code == 200
    listed = await client.get(f"/models/{model}")
    assert listed.json()["id"] == model


async def test_usage_chunk_only_when_asked(client: httpx.AsyncClient) -> None:
    payloads = await sse_payloads(client, {"model": "sim:tokens=4", "messages": QUESTION,
                                           "stream": True})
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert len(chunks) == 8  # the echo is 7 words, more than tokens=4; then the finish
    assert all("usage" not in c for c in chunks)


async def test_streamed_tool_call_comes_in_pieces(client: httpx.AsyncClient) -> None:
    tool = {"type": "function", "function": {"name": "calc", "parameters": {
        "type": "object", "properties": {"code": {"type": "string"}}}}}
    body = {"model": "sim", "stream": True, "tools": [tool], "stream_options":
            {"include_usage": True},
            "messages": [{"role": "user", "content": "mean of [1, 2, 3]"}]}
    chunks = [json.loads(p) for p in (await sse_payloads(client, body))[:-1]]
    calls = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks[:-2]]
    assert calls[0]["id"].startswith("call_")
    assert calls[0]["function"] == {"name": "calc", "arguments": ""}
    assert 3 <= len(calls) <= 4
    arguments = "".join(c["function"]["arguments"] for c in calls)
    assert json.loads(arguments) == {"code": "values = [1, 2, 3]\nprint(sum(values) / len(values))"}
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"]["completion_tokens"] == len(calls)


async def test_model_string_sets_timing(client: httpx.AsyncClient) -> None:
    started = time.monotonic()
    body = {"model": "sim:ttft=0.3,tps=100,tokens=11", "messages": QUESTION, "stream": True}
    async with client.stream("POST", "/chat/completions", json=body) as response:
        lines = response.aiter_lines()
        first = await anext(lines)
        first_at = time.monotonic() - started
        rest = [line async for line in lines if line.startswith("data: ")]
    total = time.monotonic() - started
    assert first.startswith("data: ")
    assert 0.29 <= first_at < 0.6
    assert 0.39 <= total < 1.0  # 0.3 s, then 10 more tokens at 100/s
    assert len(rest) == 10 + 1 + 1  # tokens, finish, [DONE]


async def test_non_streamed_reply_takes_the_generation_time(client: httpx.AsyncClient) -> None:
    started = time.monotonic()
    response = await client.post("/chat/completions", json={
        "model": "sim:ttft=0.1,tps=50,tokens=6", "messages": QUESTION})
    assert response.status_code == 200
    assert 0.19 <= time.monotonic() - started < 0.8  # 0.1 s, then 5 more tokens at 50/s


async def test_keep_alive_serves_many_requests_on_one_connection(sim: Simulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    try:
        for stream in (True, False, True):
            body = json.dumps({"model": "sim:tokens=3", "messages": QUESTION,
                               "stream": stream}).encode()
            writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%b"
                         % (len(body), body))
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 OK\r\n")
            assert b"connection: keep-alive" in head
            if stream:
                payload = await reader.readuntil(b"0\r\n\r\n")
                assert payload.endswith(b"data: [DONE]\n\n\r\n0\r\n\r\n")
            else:
                length = int(head.split(b"content-length: ")[1].split(b"\r\n")[0])
                assert json.loads(await reader.readexactly(length))["object"] == "chat.completion"
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"connection: close" in head
        assert await reader.read() == b'{"status": "ok"}'  # then the server closes
    finally:
        writer.close()
        await writer.wait_closed()
    assert sim.stats.requests_total == 4
    assert sim.stats.streams_completed == 2


async def test_client_abort_is_counted(sim: Simulator, client: httpx.AsyncClient) -> None:
    body = {"model": "sim:tps=20,tokens=100", "messages": QUESTION, "stream": True}
    async with client.stream("POST", "/chat/completions", json=body) as response:
        lines = response.aiter_lines()
        assert (await anext(lines)).startswith("data: ")
        assert sim.stats.in_flight == 1
    await wait_for(lambda: sim.stats.streams_aborted_by_client == 1)
    assert sim.stats.streams_completed == 0
    await wait_for(lambda: sim.stats.in_flight == 0)


async def test_stop_closes_open_connections(client: httpx.AsyncClient, sim: Simulator) -> None:
    body = {"model": "sim:hang=1", "messages": QUESTION}
    request = asyncio.ensure_future(client.post("/chat/completions", json=body))
    await wait_for(lambda: sim.stats.in_flight == 1)
    await asyncio.wait_for(sim.stop(), 2.0)
    with pytest.raises(httpx.RemoteProtocolError):
        await asyncio.wait_for(request, 2.0)


async def test_stats_record_requests_and_reset(sim: Simulator, client: httpx.AsyncClient
                                               ) -> None:
    before = time.monotonic()
    await asyncio.gather(*(client.post("/chat/completions", json={
        "model": f"sim:ttft=0.2,tokens={n}", "messages": QUESTION}) for n in (1, 2, 3)))
    assert sim.stats.requests_total == 3
    assert sim.stats.max_in_flight == 3
    assert sim.stats.in_flight == 0
    recorded = sim.stats.requests
    assert sorted(r.model or "" for r in recorded) == [
        "sim:ttft=0.2,tokens=1", "sim:ttft=0.2,tokens=2", "sim:ttft=0.2,tokens=3"]
    assert all(r.body["messages"] == QUESTION and r.received_at >= before for r in recorded)
    assert recorded[0].path == "/v1/chat/completions"
    sim.stats.reset()
    assert (sim.stats.requests_total, sim.stats.max_in_flight, sim.stats.requests) == (0, 0, [])


async def test_models_health_and_stats(client: httpx.AsyncClient) -> None:
    models = (await client.get("/models")).json()
    assert [m["id"] for m in models["data"]] == ["sim"]
    root = str(client.base_url).removesuffix("/v1/")
    assert (await client.get(f"{root}/health")).json() == {"status": "ok"}
    counters = (await client.get(f"{root}/stats")).json()
    assert counters["requests_total"] == 3
    assert counters["in_flight"] == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("GET", "/nowhere", None, 404, "Unknown request URL"),
        ("GET", "/chat/completions", None, 405, "Method not allowed"),
        ("POST", "/chat/completions", b"{not json", 400, "could not parse the JSON"),
        ("POST", "/chat/completions", b'{"model": "sim"}', 400, "'messages'"),
        ("POST", "/chat/completions", b'{"messages": []}', 400, "model parameter"),
        ("POST", "/chat/completions", b'{"model": "sim:nope=1", "messages": [{}]}', 400,
         "Unknown setting 'nope'"),
        ("POST", "/chat/completions", b'{"model": "sim", "messages": [{}], "tools": 5}', 400,
         "'tools'"),
        ("POST", "/embeddings", b'{"model": "sim", "input": 5}', 400, "'input'"),
    ],
)
async def test_errors_have_openai_shape(client: httpx.AsyncClient, method: str, path: str,
                                        body: bytes | None, status: int, message: str) -> None:
    response = await client.request(method, path.lstrip("/"), content=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert message in error["message"]
    assert set(error) == {"message", "type", "param", "code"}


async def test_embeddings_are_deterministic_unit_vectors(client: httpx.AsyncClient) -> None:
    body = {"model": "sim", "input": ["tides and moons", "tides and moons", "other"]}
    data = (await client.post("/embeddings", json=body)).json()
    vectors = [item["embedding"] for item in data["data"]]
    assert [item["index"] for item in data["data"]] == [0, 1, 2]
    assert len(vectors[0]) == 64
    assert math.isclose(math.fsum(v * v for v in vectors[0]), 1.0, rel_tol=1e-9)
    assert vectors[0] == vectors[1] != vectors[2]
    assert data["usage"] == {"prompt_tokens": 7, "total_tokens": 7}
    encoded = (await client.post("/embeddings", json={
        "model": "sim", "input": "other", "encoding_format": "base64", "dimensions": 16}
    )).json()["data"][0]["embedding"]
    decoded = struct.unpack("<16f", base64.b64decode(encoded))
    assert math.isclose(math.fsum(v * v for v in decoded), 1.0, rel_tol=1e-5)


async def test_embeddings_of_texts_that_share_words_are_closer(client: httpx.AsyncClient) -> None:
    texts = ["the tides of Brest", "tides at Brest harbour", "baking rye bread", ""]
    body = {"model": "sim", "input": texts}
    vectors = [item["embedding"] for item in (await client.post("/embeddings", json=body)).json()["data"]]

    def cosine(a: list[float], b: list[float]) -> float:
        return math.fsum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(vectors[0], vectors[1]) >= 0.45  # two of four words shared
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.3
    assert math.isclose(math.fsum(v * v for v in vectors[3]), 1.0, rel_tol=1e-9)  # no words
