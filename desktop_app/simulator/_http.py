"""A small HTTP/1.1 layer over asyncio streams: requests with ``Content-Length`` bodies,
keep-alive, fixed-length and chunked responses, and noticing a peer that goes away."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
_READ_SIZE = 64 * 1024


class HttpError(Exception):
    """A request that cannot be parsed; answered with ``status``, then the connection closes.

    Attributes:
        status: The HTTP status to answer with.
        message: What was wrong, for the error body.
    """

    def __init__(self, status: int, message: str) -> None:
        """Keep the status and message."""
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Request:
    """One parsed HTTP request.

    Attributes:
        method: ``GET``, ``POST``...
        path: The target without its query string.
        headers: Header names lower-cased; repeated headers keep the last value.
        body: The raw body.
        keep_alive: Whether the connection stays open after the response.
        query: The query string (after ``?``, still encoded), or ``""``.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool
    query: str = ""


class Connection:
    """One client connection: reads requests and writes responses.

    The connection keeps its own buffer, so a read made only to watch for the peer closing
    (``watch_peer``) never loses bytes of a following request.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Wrap the streams that ``asyncio.start_server`` hands over."""
        self.reader = reader
        self.writer = writer
        self.transport = writer.transport
        self._buffer = bytearray()
        self.peer_gone = False

    async def _fill(self) -> bool:
        """Read more bytes into the buffer; return False once the peer has closed."""
        if self.peer_gone:
            return False
        try:
            data = await self.reader.read(_READ_SIZE)
        except ConnectionError:
            data = b""
        if not data:
            self.peer_gone = True
            return False
        self._buffer += data
        return True

    async def watch_peer(self) -> None:
        """Return once the peer has closed its side (run as a task during a response)."""
        while len(self._buffer) <= MAX_HEAD_BYTES + MAX_BODY_BYTES:
            if not await self._fill():
                return
        await asyncio.Future()  # a client flooding us: stop reading, wait to be cancelled

    async def read_request(self) -> Request | None:
        """Read the next request, or return None when the peer closed between requests.

        Raises:
            HttpError: The request is malformed or too large.
        """
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise HttpError(431, "Request header fields too large.")
            if not await self._fill():
                if self._buffer.strip():
                    raise HttpError(400, "Connection closed in the middle of a request.")
                return None
        head = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[: end + 4]
        method, target, version, headers = _parse_head(head)
        body = await self._read_body(headers)
        path, _, query = target.partition("?")
        return Request(method, path, headers, body, _keep_alive(version, headers), query)

    async def _read_body(self, headers: dict[str, str]) -> bytes:
        if "transfer-encoding" in headers:
            raise HttpError(411, "Chunked request bodies are not supported; send Content-Length.")
        length_text = headers.get("content-length", "0")
        if not length_text.isdigit():
            raise HttpError(400, f"Invalid Content-Length {length_text!r}.")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise HttpError(413, f"Request body over {MAX_BODY_BYTES} bytes.")
        while len(self._buffer) < length:
            if not await self._fill():
                raise HttpError(400, "Connection closed in the middle of a request body.")
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        return body

    def write(self, data: bytes) -> None:
        """Write bytes unless the connection is already closing."""
        if not self.transport.is_closing():
            self.transport.write(data)

    def send_json(self, status: int, payload: Any, keep_alive: bool,
                  headers: dict[str, str] | None = None) -> None:
        """Write a complete JSON response."""
        body = json.dumps(payload).encode()
        self.send(status, body, keep_alive, "application/json", headers)

    def send(self, status: int, body: bytes, keep_alive: bool, content_type: str,
             headers: dict[str, str] | None = None) -> None:
        """Write a complete response with a ``Content-Length`` body."""
        fields = {"content-type": content_type, "content-length": str(len(body)), **(headers or {})}
        self.write(response_head(status, fields, keep_alive) + body)

    def start_stream(self, keep_alive: bool) -> None:
        """Write the head of a chunked ``text/event-stream`` response."""
        fields = {"content-type": "text/event-stream; charset=utf-8",
                  "cache-control": "no-cache", "transfer-encoding": "chunked"}
        self.write(response_head(200, fields, keep_alive))

    async def close(self) -> None:
        """Close gracefully, sending what is buffered first."""
        self.writer.close()
        with contextlib.suppress(OSError):  # ConnectionError is an OSError
            await self.writer.wait_closed()

    def abort(self) -> None:
        """Close at once, dropping anything unsent (a server crashing mid-response)."""
        self.transport.abort()


def response_head(status: int, fields: dict[str, str], keep_alive: bool) -> bytes:
    """Encode a status line and headers."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in fields.items()]
    lines.append(f"connection: {'keep-alive' if keep_alive else 'close'}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    """Frame bytes as one HTTP chunk."""
    return b"%x\r\n%b\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"


def _parse_head(head: str) -> tuple[str, str, str, dict[str, str]]:
    """Split a request head into method, target (path and query), version and headers.

    Raises:
        HttpError: The head is malformed.
    """
    request_line, *header_lines = head.split("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpError(400, f"Malformed request line {request_line[:100]!r}.")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in header_lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise HttpError(400, f"Malformed header line {line[:100]!r}.")
        headers[name.lower()] = value.strip()
    return method, target, version, headers


def _keep_alive(version: str, headers: dict[str, str]) -> bool:
    tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    if "close" in tokens:
        return False
    return version == "HTTP/1.1" or "keep-alive" in tokens
