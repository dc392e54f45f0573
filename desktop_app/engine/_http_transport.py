"""The HTTP transports of the native provider clients (private to `_native_stream` and
`_openai_protocol`).

- Streamed calls on a loop go through `_http_lite` (a small HTTP/1.1 client on asyncio
  streams: about a third of httpx's CPU per call, every connection kept alive) wherever it
  serves the URL, else through one `httpx.AsyncClient` per event loop (proxies from the
  environment, `CREWDESK_HTTP_CLIENT=httpx`); both are closed when the loop shuts down its
  async generators (`asyncio.run`, pytest's loops, qasync once tracked here).
- One `httpx.Client` for the blocking path and embeddings, shared by every thread, closed when
  the interpreter exits.
- `ProviderHTTPError` carries an error status, its body and headers to
  `_provider_errors.classify`.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import sys
import threading
import weakref
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

import httpx

from desktop_app.engine import _http_lite

__all__ = [
    "DEFAULT_TIMEOUT",
    "ProviderHTTPError",
    "loop_client",
    "open_stream",
    "sync_client",
    "timeout",
]

DEFAULT_TIMEOUT = 600.0
"""Seconds to wait on one read or connect when the LLM sets no timeout (litellm's default)."""

_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=20, keepalive_expiry=30)
"""No cap on open connections (`_litellm_pacing.provider_limit` caps requests per provider);
20 kept alive between calls, httpx's default. More is slower, not faster: httpcore 1.0's pool
walks every connection for each idle one on every request and response (quadratic), and with
200 kept-alive connections 200 streamed calls at once took 2-23 s instead of 1 s here."""


class ProviderHTTPError(Exception):
    """The provider answered with an error status (read by `classify`: status, headers, message)."""

    def __init__(self, status_code: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.status_code = status_code
        self.headers = headers
        text = body.decode("utf-8", "replace").strip()
        self.message = text or f"HTTP {status_code}"
        super().__init__(self.message)


def timeout(seconds: float | None) -> httpx.Timeout:
    """httpx's timeout for a call that may set none (then `DEFAULT_TIMEOUT`)."""
    return httpx.Timeout(seconds if seconds is not None else DEFAULT_TIMEOUT)


_loop_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, AsyncGenerator[None, None]]
] = weakref.WeakKeyDictionary()


async def _close_with_loop(
    client: httpx.AsyncClient, restore_hooks: Callable[[], None] | None
) -> AsyncGenerator[None, None]:
    """Suspended for the loop's life; `loop.shutdown_asyncgens()` resumes it to close `client`.

    A loop closed without that step keeps its entry (and open connections) until the process
    ends; `asyncio.run`, `asyncio.Runner` and pytest-asyncio's loops all take it.
    """
    try:
        yield
    finally:
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # finalized outside any loop: nothing can be awaited
            loop = None
        if loop is not None:
            _loop_clients.pop(loop, None)
            await client.aclose()
            await _http_lite.close_loop_pool(loop)
        if restore_hooks is not None:
            restore_hooks()


def _track_async_generators(loop: asyncio.AbstractEventLoop) -> Callable[[], None] | None:
    """Lets `loop` track async generators when it does not itself, and returns what puts the
    thread's previous hooks back (run when the loop shuts its generators down).

    qasync's loop runs Qt's event loop instead of asyncio's `run_forever`, which is what
    installs these hooks; without them `shutdown_asyncgens` would never close the loop's
    client (its pooled connections would be unclosed transports once the loop is closed).
    """
    previous = sys.get_asyncgen_hooks()
    if getattr(previous.firstiter, "__self__", None) is loop:
        return None
    firstiter = getattr(loop, "_asyncgen_firstiter_hook", None)
    finalizer = getattr(loop, "_asyncgen_finalizer_hook", None)
    if firstiter is None or finalizer is None:
        return None
    sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
    return lambda: sys.set_asyncgen_hooks(*previous)


async def loop_client() -> httpx.AsyncClient:
    """The running loop's shared client (made on first use)."""
    loop = asyncio.get_running_loop()
    entry = _loop_clients.get(loop)
    if entry is None:
        restore_hooks = _track_async_generators(loop)
        client = httpx.AsyncClient(limits=_LIMITS, timeout=DEFAULT_TIMEOUT)
        closer = _close_with_loop(client, restore_hooks)
        _loop_clients[loop] = entry = (client, closer)
        await closer.__anext__()  # the loop now tracks it (its first-iteration hook)
    return entry[0]


async def open_stream(
    url: str, body: Mapping[str, Any], headers: Mapping[str, str], request_timeout: float | None
) -> httpx.Response | _http_lite.LiteResponse:
    """POSTs `body` as JSON and returns the response once its head is read, its body unread.

    Through `_http_lite` where it serves the URL (no proxy from the environment, http or
    https, `CREWDESK_HTTP_CLIENT` not `httpx`), else through the loop's httpx client; either
    way the caller reads `aiter_lines()` or `aread()` and must `aclose()` it.

    Raises:
        httpx.HTTPError: Connecting, sending or reading the head failed.
    """
    client = await loop_client()  # also makes sure the loop's pool is closed with it
    if _http_lite.serves(url):
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        seconds = request_timeout if request_timeout is not None else DEFAULT_TIMEOUT
        return await _http_lite.post_stream(url, data.encode(), headers, seconds)
    request = client.build_request(
        "POST", url, json=body, headers=headers, timeout=timeout(request_timeout)
    )
    return await client.send(request, stream=True)


_sync_client: httpx.Client | None = None
_sync_lock = threading.Lock()


def sync_client() -> httpx.Client:
    """The process's shared blocking client (thread-safe), closed at exit (`_close_sync_client`)."""
    global _sync_client
    with _sync_lock:
        if _sync_client is None:
            _sync_client = httpx.Client(limits=_LIMITS, timeout=DEFAULT_TIMEOUT)
            atexit.register(_close_sync_client)
        return _sync_client


def _close_sync_client() -> None:
    """Closes the blocking client's pooled connections. An error answer (HTTP 400) is read to
    its end, so its connection goes back to the pool; left there, it was an unclosed socket
    when the interpreter exited (a `ResourceWarning`)."""
    global _sync_client
    with _sync_lock:
        client, _sync_client = _sync_client, None
    if client is not None:
        client.close()
