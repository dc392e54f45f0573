"""Turns whatever a provider call raised into an `LLMError` with a clear kind.

Works on class names and attributes, so it needs no import of litellm, httpx or aiohttp.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from desktop_app.engine.errors import LLMError, LLMErrorKind

_KIND_BY_STATUS: dict[int, LLMErrorKind] = {
    400: "bad_request",
    401: "auth",
    403: "auth",
    404: "not_found",
    408: "timeout",
    413: "bad_request",
    422: "bad_request",
    429: "rate_limit",
}

_KIND_BY_CLASS: dict[str, LLMErrorKind] = {
    "AuthenticationError": "auth",
    "PermissionDeniedError": "auth",
    "RateLimitError": "rate_limit",
    "Timeout": "timeout",
    "APITimeoutError": "timeout",
    "TimeoutException": "timeout",
    "ReadTimeout": "timeout",
    "ConnectTimeout": "timeout",
    "ServerTimeoutError": "timeout",
    "NotFoundError": "not_found",
    "ServiceUnavailableError": "server",
    "InternalServerError": "server",
    "BadGatewayError": "server",
    "RemoteProtocolError": "stream_dropped",
    "ReadError": "stream_dropped",
    "ClientPayloadError": "stream_dropped",
    "ServerDisconnectedError": "stream_dropped",
    "IncompleteRead": "stream_dropped",
    "ConnectError": "connection",
    "ClientConnectorError": "connection",
    "APIConnectionError": "connection",
    "JSONDecodeError": "malformed",
    "BadRequestError": "bad_request",
    "ContextWindowExceededError": "bad_request",
    "UnprocessableEntityError": "bad_request",
}


_CONNECTION_CLASSES = frozenset({
    "ConnectError", "ClientConnectorError", "ClientConnectorDNSError", "APIConnectionError",
    "ConnectionRefusedError", "ConnectionResetError", "gaierror", "ClientOSError",
})
"""Classes that mean the provider was never reached, wherever they sit in the cause chain."""

_MISSING_KEY_WORDS = (
    "missing credentials", "api key is not set", "api_key client option must be set",
    "no api key", "missing api key", "api key not found",
)
"""Words of a call refused before any request because no key was given (litellm reports
OpenAI's "Missing credentials" as an HTTP 500; Gemini's "Missing Gemini API key" too)."""


def classify(exc: BaseException, *, provider: str, model: str, streaming: bool) -> LLMError:
    """Wraps `exc` in an `LLMError`.

    litellm reports a missing key and an unreachable host as HTTP 500 errors; those are
    told apart from a real server error (kinds "auth" and "connection", no status), so the
    user is sent to Settings or to the network rather than told the provider failed.

    Args:
        exc: What the provider call raised.
        provider: The provider's name.
        model: The model string of the call.
        streaming: True when the error came while reading a stream that had begun.
    """
    if isinstance(exc, LLMError):
        return exc
    status = _status_of(exc)
    kind = _kind_of(exc, status, streaming)
    message = _message_of(exc)
    if status in (None, 500) and _missing_key(exc):
        kind, status = "auth", None
        message = f"no API key was given ({message})"
    elif status in (None, 500) and kind in ("server", "other") and _never_reached(exc):
        kind, status = ("stream_dropped" if streaming else "connection"), None
    return LLMError(
        kind,
        message,
        provider=provider,
        model=model,
        status_code=status,
        retry_after=_retry_after_of(exc) if kind == "rate_limit" or status == 503 else None,
    )


def _kind_of(exc: BaseException, status: int | None, streaming: bool) -> LLMErrorKind:
    for cls in type(exc).__mro__:
        kind = _KIND_BY_CLASS.get(cls.__name__)
        if kind is not None:
            break
    else:
        kind = None
    if status is not None and (kind is None or kind in ("connection", "bad_request")):
        kind = _KIND_BY_STATUS.get(status, "server" if status >= 500 else kind)
    if kind is None:
        kind = _kind_from_text(str(exc), streaming)
    if streaming and kind == "connection":
        return "stream_dropped"
    return kind


def _kind_from_text(text: str, streaming: bool) -> LLMErrorKind:
    lowered = text.lower()
    if "json" in lowered or "decode" in lowered or "parsing chunk" in lowered:
        return "malformed"
    if "peer closed" in lowered or "incomplete" in lowered or "connection" in lowered:
        return "stream_dropped" if streaming else "connection"
    return "other"


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and its causes (`__cause__`, else `__context__`), at most eight deep."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(found) < 8 and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _missing_key(exc: BaseException) -> bool:
    return any(
        word in str(link).lower() for link in _chain(exc) for word in _MISSING_KEY_WORDS
    )


def _never_reached(exc: BaseException) -> bool:
    return any(
        cls.__name__ in _CONNECTION_CLASSES for link in _chain(exc) for cls in type(link).__mro__
    )


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 400:
        return status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) and status >= 400 else None


_LEADING_CLASS = re.compile(r"^(?:[A-Z]\w*(?:Error|Exception): )+")
"""litellm's "InternalServerError: InternalServerError: " before the provider's words."""


def _message_of(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    text = message if isinstance(message, str) and message else str(exc)
    text = _inner_provider_message(text) or text
    text = text.split("Traceback (most recent call last)", 1)[0]
    for prefix in ("litellm.", "OpenAIException - ", "Hosted_vllmException - "):
        text = text.replace(prefix, "")
    text = _LEADING_CLASS.sub("", " ".join(text.split()))
    return text[:500] if text else type(exc).__name__


def _inner_provider_message(text: str) -> str | None:
    """Pulls `error.message` out of a JSON error body inside `text` (OpenAI's, Anthropic's and
    Google's shapes all have one), even when text follows it (litellm quotes Anthropic's and
    Gemini's bodies as `b'{...}'`)."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        body, _ = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) and message else None


_RETRY_DELAY = re.compile(r'"retryDelay":\s*"(\d+(?:\.\d+)?)s"')
"""Google's `RetryInfo` in an error body (Gemini's 429 says when to retry there, not in a
header)."""


def _retry_after_of(exc: BaseException) -> float | None:
    for holder in (getattr(exc, "response", None), exc):
        headers = getattr(holder, "headers", None) or getattr(
            holder, "litellm_response_headers", None
        )
        value = headers.get("retry-after") if headers is not None else None
        if value is not None:
            return parse_retry_after(str(value))
    found = _RETRY_DELAY.search(str(exc))
    return float(found.group(1)) if found else None


def parse_retry_after(value: str) -> float | None:
    """Reads a Retry-After header: seconds, or an HTTP date."""
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
