"""The native clients' own HTTP/1.1 client (`_http_lite`): streams over real sockets to the
simulator, connection reuse, cancellation, timeouts, errors, and the wire edge cases (gzip,
fixed-length and close-delimited bodies, a kept-alive connection the server closed) from a
tiny raw server in the test."""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from desktop_app.engine import LLM, LLMError, _http_lite
from desktop_app.simulator import Simulator

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

_MESSAGES = [{"role": "user", "content": "Say hello"}]


def _idle(loop: asyncio.AbstractEventLoop) -> list[Any]:
    pool = _http_lite._pools.get(loop)
    return [conn for stack in pool.idle.values() for conn in stack] if pool else []


@pytest.mark.asyncio
async def test_calls_stream_through_it_and_reuse_one_kept_alive_connection(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CREWDESK_HTTP_CLIENT", raising=False)
    llm = LLM("openai/sim:tokens=12", base_url=sim.base_url, api_key="k")
    loop = asyncio.get_running_loop()
    first = await llm.acall(_MESSAGES)
    [conn] = _idle(loop)
    second = await llm.acall(_MESSAGES)
    assert _idle(loop) == [conn]  # the same socket, back in the pool
    assert first.text == second.text and first.text
    assert first.usage.completion_tokens == 12
    monkeypatch.setenv("CREWDESK_HTTP_CLIENT", "httpx")
    through_httpx = await llm.acall(_MESSAGES)
    assert through_httpx.text == first.text and _idle(loop) == [conn]


@pytest.mark.asyncio
async def test_a_cancelled_stream_closes_its_connection_at_once(sim: Simulator) -> None:
    llm = LLM("openai/sim:tokens=400,tps=40", base_url=sim.base_url, api_key="k")
    call = asyncio.ensure_future(llm.acall(_MESSAGES))
    for _ in range(200):
        if sim.stats.in_flight:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(100):
        if sim.stats.streams_aborted_by_client:
            break
        await asyncio.sleep(0.01)
    assert sim.stats.streams_aborted_by_client == 1
    assert _idle(asyncio.get_running_loop()) == []


@pytest.mark.asyncio
async def test_no_data_for_the_timeout_is_a_timeout_error(sim: Simulator) -> None:
    llm = LLM("openai/sim:hang=1", base_url=sim.base_url, api_key="k", timeout=0.3,
              max_retries=0)
    with pytest.raises(LLMError) as caught:
        await llm.acall(_MESSAGES)
    assert caught.value.kind == "timeout"


@pytest.mark.asyncio
async def test_an_error_status_keeps_its_kind_message_and_retry_after(sim: Simulator) -> None:
    llm = LLM("openai/sim:status=429,retry_after=7", base_url=sim.base_url, api_key="k",
              max_retries=0)
    with pytest.raises(LLMError) as caught:
        await llm.acall(_MESSAGES)
    assert caught.value.kind == "rate_limit" and caught.value.status_code == 429
    assert caught.value.retry_after == 7


@pytest.mark.asyncio
async def test_a_dropped_stream_is_stream_dropped(sim: Simulator) -> None:
    llm = LLM("openai/sim:drop_after=3", base_url=sim.base_url, api_key="k", max_retries=0)
    with pytest.raises(LLMError) as caught:
        await llm.acall(_MESSAGES)
    assert caught.value.kind == "stream_dropped"


# --- wire edge cases from a raw server ---------------------------------------------------


@pytest_asyncio.fixture
async def raw_server() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Starts a bare TCP server answering with `handler`; returns its base URL."""
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> dict[str, Any]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
    length = int(head.split("content-length:")[1].split("\r\n")[0])
    return json.loads(await reader.readexactly(length))  # type: ignore[no-any-return]


def _completion(text: str) -> bytes:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": text},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 3, "completion_tokens": 1}}).encode()


@pytest.mark.asyncio
async def test_a_gzipped_fixed_length_answer_then_a_close_delimited_one(
    raw_server: Callable[[Handler], Awaitable[str]],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        body = gzip.compress(_completion("zipped"))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                     b"content-encoding: gzip\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
        await _read_request(reader)  # the same connection, kept alive
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                     b"connection: close\r\n\r\n" + _completion("until close"))
        writer.close()

    llm = LLM("openai/any", base_url=await raw_server(handler), api_key="k", max_retries=0)
    assert (await llm.acall(_MESSAGES)).text == "zipped"
    assert (await llm.acall(_MESSAGES)).text == "until close"
    assert _idle(asyncio.get_running_loop()) == []  # "connection: close" is not kept


@pytest.mark.asyncio
async def test_a_kept_alive_connection_the_server_closed_is_replaced(
    raw_server: Callable[[Handler], Awaitable[str]],
) -> None:
    connections: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await _read_request(reader)
        chunk = {"choices": [{"delta": {"content": "hi"}, "finish_reason": "stop"}]}
        sse = b"data: " + json.dumps(chunk).encode()
        body = sse + b"\r\n\r\ndata: [DONE]\r\n\r\n"
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                     b"transfer-encoding: chunked\r\n\r\n"
                     b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        await writer.drain()
        writer.close()  # without saying so: the client still holds the socket as idle

    llm = LLM("openai/any", base_url=await raw_server(handler), api_key="k", max_retries=0)
    assert (await llm.acall(_MESSAGES)).text == "hi"
    await asyncio.sleep(0.05)
    assert (await llm.acall(_MESSAGES)).text == "hi"
    assert len(connections) == 2


@pytest.mark.asyncio
async def test_a_server_that_is_not_there_is_a_connection_error() -> None:
    llm = LLM("openai/any", base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0)
    with pytest.raises(LLMError) as caught:
        await llm.acall(_MESSAGES)
    assert caught.value.kind == "connection"


def test_proxies_other_schemes_and_the_switch_go_to_httpx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CREWDESK_HTTP_CLIENT", raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(_http_lite, "_proxied", {})
    assert _http_lite.serves("http://127.0.0.1:8000/v1/chat/completions")
    assert not _http_lite.serves("ftp://example.com/v1")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    assert not _http_lite.serves("https://api.openai.com/v1/chat/completions")
    assert _http_lite.serves("https://internal.example/v1/chat/completions")
    monkeypatch.setenv("CREWDESK_HTTP_CLIENT", "httpx")
    assert not _http_lite.serves("http://127.0.0.1:8000/v1/chat/completions")


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    return cert, key


@pytest.mark.asyncio
async def test_https_with_the_trusted_certificates_and_a_refused_one(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await _read_request(reader)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\n\r\n" % len(_completion("secure"))
                             + _completion("secure"))
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    llm = LLM("openai/any", base_url=f"https://localhost:{port}/v1", api_key="k", max_retries=0)
    try:
        monkeypatch.setattr(_http_lite, "_ssl_context", None)  # made again from the variable
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        assert (await llm.acall(_MESSAGES)).text == "secure"
        assert (await llm.acall(_MESSAGES)).text == "secure"
        assert len(_idle(asyncio.get_running_loop())) == 1
        monkeypatch.setattr(_http_lite, "_ssl_context", None)
        monkeypatch.delenv("SSL_CERT_FILE")
        other = LLM("openai/any", base_url=f"https://localhost:{port}/v2", api_key="k",
                    max_retries=0)
        pool = _http_lite._pools[asyncio.get_running_loop()]
        await pool.aclose()  # a new connection, checked against the default certificates
        with pytest.raises(LLMError) as caught:
            await other.acall(_MESSAGES)
        assert caught.value.kind == "connection" and "CERTIFICATE_VERIFY_FAILED" in str(
            caught.value)
    finally:
        await _http_lite.close_loop_pool(asyncio.get_running_loop())
        server.close()
        await server.wait_closed()
