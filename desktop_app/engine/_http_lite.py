"""A small HTTP/1.1 client on asyncio streams for the native LLM clients' streamed POSTs
(private to `_http_transport`, which hands it the native clients' streamed calls on a loop).

Why: with hundreds of streams on one loop, httpx and httpcore cost more CPU per read than
the engine's own parsing (anyio cancel scopes, sniffio, h11 events per chunk), and httpcore's
pool walks every connection on each request and response, so only 20 connections are kept
alive and the rest are opened and closed per call. Here a read is one `StreamReader` call,
the body's lines are split in place, and every connection goes back to a per-loop, per-host
idle stack (O(1)), so a batch of 1,000 calls reuses its connections on the next batch
(benchmarks/README.md, "Many crews at once").

What it covers: `http://` and `https://` (the TLS context httpx would make: certifi, or
`SSL_CERT_FILE`/`SSL_CERT_DIR`), keep-alive, fixed-length, chunked and close-delimited bodies,
gzip/deflate bodies, a read timeout per response (one timer, reset by each read), a connect
timeout. What it does not (`serves()` says False, and the caller uses httpx): proxies from the
environment, any other scheme; `CREWDESK_HTTP_CLIENT=httpx` sends every call through httpx.

Failures are raised as httpx's exception classes (`ConnectError`, `ConnectTimeout`,
`ReadTimeout`, `ReadError`, `RemoteProtocolError`), so `_provider_errors.classify` maps them
exactly as it maps httpx's own. A kept-alive connection the server closed while idle is
retried once on a new connection before any answer is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import ssl
import time
import urllib.request
import weakref
import zlib
from collections import deque
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 30.0
"""Idle connections older than this are closed instead of reused (httpx's default)."""

MAX_IDLE_PER_HOST = 2048
"""Idle connections kept per host; the stack is O(1), so a batch of 1,000 keeps them all."""

READ_SIZE = 65536

_Target = tuple[str, str, int, str, str]
"""scheme, host, port, request target (path and query), Host header."""

_targets: dict[str, _Target] = {}
_proxied: dict[tuple[str, str], bool] = {}
_ssl_context: ssl.SSLContext | None = None


def serves(url: str) -> bool:
    """True when this client may make the call to `url` (else the caller uses httpx).

    The proxy variables (`HTTP(S)_PROXY`, `ALL_PROXY`, `NO_PROXY`) are read once per scheme and
    host, at its first call; `CREWDESK_HTTP_CLIENT` at every call.
    """
    if os.environ.get("CREWDESK_HTTP_CLIENT", "asyncio") == "httpx":
        return False
    target = _target(url)
    if target is None:
        return False
    key = (target[0], target[1])
    proxied = _proxied.get(key)
    if proxied is None:
        proxies = urllib.request.getproxies_environment()
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
        proxied = bool(proxies.get(target[0]) or proxies.get("all")) and not bypass(
            target[1], proxies
        )
        _proxied[key] = proxied
    return not proxied


def _target(url: str) -> _Target | None:
    target = _targets.get(url)
    if target is None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        default = 443 if parts.scheme == "https" else 80
        port = parts.port or default
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        host_header = host if port == default else f"{host}:{port}"
        target = _targets[url] = (parts.scheme, parts.hostname, port, path, host_header)
    return target


def _tls() -> ssl.SSLContext:
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = httpx.create_ssl_context()
    return _ssl_context


# --- connections and the pool ------------------------------------------------------------


class _Conn:
    """One open connection and when it went idle."""

    __slots__ = ("idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def usable(self) -> bool:
        """Still open, nothing unread, and not idle too long."""
        return (
            not self.writer.is_closing()
            and not self.reader.at_eof()
            and not self.reader._buffer  # type: ignore[attr-defined]  # noqa: SLF001
            and time.monotonic() - self.idle_since < KEEPALIVE_SECONDS
        )


class _Pool:
    """A loop's idle connections per host."""

    def __init__(self) -> None:
        self.idle: dict[tuple[str, str, int], list[_Conn]] = {}

    def take(self, key: tuple[str, str, int]) -> _Conn | None:
        """The most recently idle usable connection to `key`, or None."""
        stack = self.idle.get(key)
        while stack:
            conn = stack.pop()
            if conn.usable():
                return conn
            conn.writer.transport.abort()
        return None

    def give(self, key: tuple[str, str, int], conn: _Conn) -> None:
        """Keeps `conn` for the next call to `key`."""
        stack = self.idle.setdefault(key, [])
        if len(stack) >= MAX_IDLE_PER_HOST:
            conn.writer.transport.abort()
            return
        conn.idle_since = time.monotonic()
        stack.append(conn)

    async def aclose(self) -> None:
        """Closes every idle connection."""
        conns = [conn for stack in self.idle.values() for conn in stack]
        self.idle.clear()
        for conn in conns:
            conn.writer.close()
        await asyncio.gather(*(c.writer.wait_closed() for c in conns), return_exceptions=True)


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = (
    weakref.WeakKeyDictionary()
)


async def close_loop_pool(loop: asyncio.AbstractEventLoop) -> None:
    """Closes `loop`'s idle connections (called when the loop shuts down)."""
    pool = _pools.pop(loop, None)
    if pool is not None:
        await pool.aclose()


async def _connect(target: _Target, seconds: float) -> _Conn:
    scheme, host, port, _, _ = target
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                host, port, ssl=_tls() if scheme == "https" else None, limit=READ_SIZE * 4
            ),
            seconds,
        )
    except TimeoutError as exc:
        raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
    except OSError as exc:
        raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
    return _Conn(reader, writer)


# --- one request -------------------------------------------------------------------------


def _head(target: _Target, headers: Mapping[str, str], length: int) -> bytes:
    fields = {
        "host": target[4],
        "accept": "*/*",
        "accept-encoding": "gzip, deflate",
        "connection": "keep-alive",
        "user-agent": f"python-httpx/{httpx.__version__}",
        "content-type": "application/json",
    }
    for name, value in headers.items():
        fields[name.lower()] = value
    fields["content-length"] = str(length)
    lines = [f"POST {target[3]} HTTP/1.1"] + [f"{k}: {v}" for k, v in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def post_stream(
    url: str, body: bytes, headers: Mapping[str, str], seconds: float
) -> LiteResponse:
    """Sends one POST and returns once the response's head is read.

    Raises:
        httpx.HTTPError: Subclasses as httpx raises them (connect, timeout, protocol).
    """
    target = _target(url)
    assert target is not None, "serves() said this client takes the URL"
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        pool = _pools[loop] = _Pool()
    key = (target[0], target[1], target[2])
    payload = _head(target, headers, len(body)) + body
    response: LiteResponse | None = None
    conn = pool.take(key)
    if conn is not None:
        # closed by the server while idle: once more on a new connection
        with contextlib.suppress(httpx.RemoteProtocolError, httpx.ReadError):
            response = await _exchange(conn, payload, seconds, pool, key)
    if response is None:
        response = await _exchange(await _connect(target, seconds), payload, seconds, pool, key)
    if log.isEnabledFor(logging.DEBUG):  # as httpx logs it (the URL carries no key)
        log.debug('HTTP Request: POST %s "HTTP/1.1 %d"', url, response.status_code)
    return response


async def _exchange(
    conn: _Conn, payload: bytes, seconds: float, pool: _Pool, key: tuple[str, str, int]
) -> LiteResponse:
    watchdog = _Watchdog(conn, seconds)
    try:
        conn.writer.write(payload)
        head = await conn.reader.readuntil(b"\r\n\r\n")
        status, fields = _parse_head(head)
        while 100 <= status < 200:
            status, fields = _parse_head(await conn.reader.readuntil(b"\r\n\r\n"))
    except BaseException as exc:
        watchdog.cancel()
        conn.writer.transport.abort()
        if isinstance(exc, Exception):
            raise watchdog.error(exc) from exc
        raise
    return LiteResponse(conn, status, fields, watchdog, pool, key)


def _parse_head(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise httpx.RemoteProtocolError(f"not an HTTP response: {lines[0][:80]!r}")
    fields = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            fields.append((name.strip(), value.strip()))
    return int(parts[1]), [("http-version", parts[0]), *fields]


class _Watchdog:
    """The read timeout: one timer per response, pushed on by each read."""

    __slots__ = ("conn", "fired", "handle", "last", "loop", "timeout")

    def __init__(self, conn: _Conn, timeout: float) -> None:
        self.conn = conn
        self.timeout = timeout
        self.loop = asyncio.get_running_loop()
        self.last = self.loop.time()
        self.fired = False
        self.handle: asyncio.TimerHandle | None = self._arm(self.last + timeout)

    def _arm(self, when: float) -> asyncio.TimerHandle:
        # An empty context, not a copy of the caller's: qasync keeps a cancelled timer until
        # it is due (600 s by default), and the copy kept each call's run scope alive so long.
        return self.loop.call_at(when, self._check, context=contextvars.Context())

    def _check(self) -> None:
        due = self.last + self.timeout
        if self.loop.time() < due:
            self.handle = self._arm(due)
            return
        self.fired = True
        self.handle = None
        self.conn.writer.transport.abort()

    def cancel(self) -> None:
        """Stops the timer (the response is done)."""
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None

    def error(self, exc: Exception) -> Exception:
        """What to raise for `exc`, a failed read or write: httpx's class for it."""
        if self.fired:
            return httpx.ReadTimeout(f"no data for {self.timeout:g} s")
        if isinstance(exc, httpx.HTTPError):
            return exc
        if isinstance(exc, asyncio.IncompleteReadError | asyncio.LimitOverrunError):
            return httpx.RemoteProtocolError("the server closed the connection mid-response")
        return httpx.ReadError(str(exc) or type(exc).__name__)


class LiteResponse:
    """A response whose head is read; its body is read by `aiter_lines` or `aread`.

    The same members the callers use of `httpx.Response`: `status_code`, `headers` (read
    with lower-case names), `aiter_lines()`, `aread()`, `aclose()`.
    """

    def __init__(
        self,
        conn: _Conn,
        status: int,
        fields: list[tuple[str, str]],
        watchdog: _Watchdog,
        pool: _Pool,
        key: tuple[str, str, int],
    ) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {name.lower(): value for name, value in fields[1:]}
        """The response's header fields, names in lower case (a repeated field: its last)."""
        self._conn: _Conn | None = conn
        self._watchdog, self._pool, self._key = watchdog, pool, key
        self._done = False
        self._reusable = fields[0][1] == "HTTP/1.1" and (
            self.headers.get("connection", "").lower() != "close"
        )
        self._chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        length = self.headers.get("content-length")
        self._remaining = int(length) if length and not self._chunked else None
        if self._remaining is None and not self._chunked:
            self._reusable = False  # the body ends when the connection does
        self._decoder = _decoder(self.headers.get("content-encoding", ""))
        if status in (204, 304) or self._remaining == 0:
            self._done = True

    def aiter_lines(self) -> _Lines:
        """The body's lines, without their line ends."""
        return _Lines(self)

    async def aread(self) -> bytes:
        """The whole (rest of the) body."""
        pieces = []
        while (piece := await self.piece()) is not None:
            pieces.append(piece)
        return b"".join(pieces)

    async def piece(self) -> bytes | None:
        """The next piece of the body, or None at its end.

        Raises:
            httpx.HTTPError: The read timed out or the connection broke.
        """
        if self._done:
            return None
        try:
            data = await self._read()
        except Exception as exc:
            raise self._watchdog.error(exc) from exc
        self._watchdog.last = self._watchdog.loop.time()
        if data is None:
            self._done = True
            return self._decoder.flush() if self._decoder is not None else None
        return self._decoder.decompress(data) if self._decoder is not None else data

    async def _read(self) -> bytes | None:
        assert self._conn is not None, "read after aclose()"
        reader = self._conn.reader
        if self._chunked:
            size_line = await reader.readuntil(b"\n")
            size = int(size_line.split(b";", 1)[0].strip() or b"x", 16)
            if size == 0:
                while (await reader.readuntil(b"\n")).strip():
                    pass  # trailers
                return None
            return (await reader.readexactly(size + 2))[:-2]
        if self._remaining is not None:
            if self._remaining <= 0:
                return None
            data = await reader.read(min(READ_SIZE, self._remaining))
            if not data:
                raise asyncio.IncompleteReadError(b"", self._remaining)
            self._remaining -= len(data)
            return data
        return await reader.read(READ_SIZE) or None

    async def aclose(self) -> None:
        """Ends the response: a fully read body gives its connection back to the pool; an
        unfinished one (cancelled, failed) closes it at once."""
        self._watchdog.cancel()
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        if self._done and self._reusable and not self._watchdog.fired:
            self._pool.give(self._key, conn)
        else:
            conn.writer.transport.abort()


def _decoder(encoding: str) -> Any:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise httpx.DecodingError(f"unsupported content-encoding {encoding!r}")


class _Lines:
    """Async iterator over a response body's lines (split on LF; a CR before it dropped)."""

    __slots__ = ("_lines", "_response", "_rest")

    def __init__(self, response: LiteResponse) -> None:
        self._response = response
        self._lines: deque[str] = deque()
        self._rest = b""

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        lines = self._lines
        while not lines:
            piece = await self._response.piece()
            if piece is None:
                if not self._rest:
                    raise StopAsyncIteration
                piece, self._rest = self._rest + b"\n", b""
            parts = (self._rest + piece).split(b"\n")
            self._rest = parts.pop()
            for part in parts:
                lines.append(part.rstrip(b"\r").decode("utf-8", "replace"))
        return lines.popleft()
