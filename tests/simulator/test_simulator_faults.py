"""Every fault a model string can ask for, seen by a plain httpx client."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from desktop_app.simulator import Simulator, SimulatorConfig

pytestmark = pytest.mark.asyncio

QUESTION = [{"role": "user", "content": "Any news?"}]


def _body(model: str, stream: bool = False) -> dict[str, Any]:
    return {"model": model, "messages": QUESTION, "stream": stream}


async def test_rate_limit_with_retry_after(client: httpx.AsyncClient) -> None:
    response = await client.post("/chat/completions", json=_body("sim:status=429,retry_after=1"))
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.headers["retry-after-ms"] == "1000"
    error = response.json()["error"]
    assert error["code"] == "rate_limit_exceeded"
    assert "Rate limit" in error["message"]


async def test_fail_times_counts_per_model_string(sim: Simulator, client: httpx.AsyncClient
                                                  ) -> None:
    model = "sim:status=500,fail_times=2"
    statuses = [(await client.post("/chat/completions", json=_body(model))).status_code
                for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    other = "sim:status=500,fail_times=2,tokens=3"
    assert (await client.post("/chat/completions", json=_body(other))).status_code == 500
    error = (await client.post("/chat/completions", json=_body(other))).json()["error"]
    assert error["type"] == "server_error"
    sim.reset()
    assert (await client.post("/chat/completions", json=_body(model))).status_code == 500
    assert sim.stats.requests_total == 1


async def test_invalid_api_key(client: httpx.AsyncClient) -> None:
    response = await client.post("/chat/completions", json=_body("sim:status=401"),
                                 headers={"Authorization": "Bearer sk-abcdefghijkl"})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "invalid_api_key"
    assert error["message"].startswith("Incorrect API key provided: sk-********ijkl.")


async def test_echo_key_quotes_the_whole_key_as_a_careless_provider(
        client: httpx.AsyncClient) -> None:
    response = await client.post("/chat/completions", json=_body("sim:status=401,echo_key=1"),
                                 headers={"Authorization": "Bearer sk-abcdefghijkl"})
    assert response.status_code == 401
    assert "Incorrect API key provided: sk-abcdefghijkl." in response.json()["error"]["message"]


async def test_drop_after_closes_the_stream_abruptly(sim: Simulator,
                                                     client: httpx.AsyncClient) -> None:
    received: list[str] = []
    body = _body("sim:drop_after=5,tokens=20", stream=True)
    with pytest.raises(httpx.RemoteProtocolError):
        async with client.stream("POST", "/chat/completions", json=body) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    received.append(line)
    assert len(received) == 5
    assert all(json.loads(line[6:])["choices"][0]["finish_reason"] is None for line in received)
    assert sim.stats.streams_completed == 0
    assert sim.stats.streams_aborted_by_client == 0


async def test_drop_after_without_streaming_closes_without_an_answer(
    client: httpx.AsyncClient,
) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("/chat/completions", json=_body("sim:drop_after=0"))


async def test_hang_waits_until_the_client_gives_up(sim: Simulator) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await client.post("/chat/completions", json=_body("sim:hang=1", stream=True))
        assert time.monotonic() - started >= 0.29
    deadline = time.monotonic() + 3
    while sim.stats.streams_aborted_by_client == 0:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    assert sim.stats.in_flight == 0


async def test_malformed_sends_one_chunk_of_invalid_json(client: httpx.AsyncClient) -> None:
    body = _body("sim:malformed=1,tokens=6", stream=True)
    async with client.stream("POST", "/chat/completions", json=body) as response:
        payloads = [line[6:] async for line in response.aiter_lines() if line.startswith("data: ")]
    assert payloads[-1] == "[DONE]"
    broken = []
    for payload in payloads[:-1]:
        try:
            json.loads(payload)
        except json.JSONDecodeError:
            broken.append(payload)
    assert len(broken) == 1
    assert payloads[1] == broken[0]
    assert len(payloads) == 6 + 1 + 1 + 1  # tokens, the broken one, finish, [DONE]


async def test_malformed_without_streaming_is_a_cut_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/chat/completions", json=_body("sim:malformed=1"))
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_bytes_makes_a_big_reply_in_few_chunks(client: httpx.AsyncClient) -> None:
    body = _body("sim:bytes=1000000,tokens=20,tps=100000", stream=True)
    async with client.stream("POST", "/chat/completions", json=body) as response:
        payloads = [line[6:] async for line in response.aiter_lines() if line.startswith("data: ")]
    texts = [json.loads(p)["choices"][0]["delta"].get("content") or "" for p in payloads[:-2]]
    size = sum(len(t.encode()) for t in texts)
    assert 1_000_000 <= size <= 1_010_000
    assert len(texts) == 4 + 20  # the 4 words of "Answer to: Any news?.", then 20 big pieces
    assert texts[0] == "Answer "


async def test_server_wide_faults(sim: Simulator) -> None:
    config = SimulatorConfig(status=503, fail_times=1, ttft=0.0)
    async with Simulator(config) as failing, httpx.AsyncClient(base_url=failing.base_url) as http:
        first = await http.post("/chat/completions", json=_body("sim"))
        second = await http.post("/chat/completions", json=_body("sim"))
    assert (first.status_code, second.status_code) == (503, 200)
    assert sim.stats.requests_total == 0
