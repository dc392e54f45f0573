"""Server settings and the model-string grammar that overrides them per request.

A request picks its behaviour through its model name, so a crew's agent can choose one just
by its model string (the engine sends ``sim...`` for ``openai/sim...``)::

    model    := "sim" [ ":" setting { "," setting } ]
    setting  := key "=" value          (no spaces; each key at most once)

    key          value                  meaning
    ttft         float >= 0             seconds before the first token
    tps          float > 0              tokens per second after the first one
    tokens       int >= 1               tokens in a reply
    status       int 400..599           answer with this HTTP error instead of a reply
    retry_after  float >= 0             ``Retry-After`` header on the error (needs status)
    fail_times   int >= 1               fail only the first N requests with this exact model
                                        string, then behave normally (needs status)
    drop_after   int >= 0               stream N tokens, then close the connection abruptly
    hang         0 | 1                  accept the request and never answer
    malformed    0 | 1                  send one SSE chunk of invalid JSON after the first token
    bytes        int >= 1               reply of about this many bytes, in ``tokens`` pieces
    context      int >= 1               context window in words: a longer request (all its
                                        messages) gets OpenAI's 400 context_length_exceeded
    structured   0 | 1                  0: ignore ``response_format`` and forced tools and
                                        answer in text, as a model that does not follow
                                        JSON schemas (default 1)
    echo_key     0 | 1                  1: a 401 error quotes the request's bearer key whole,
                                        as a provider that echoes it (needs status=401)

Examples: ``sim``, ``sim:ttft=0.5,tps=200,tokens=20``, ``sim:status=429,retry_after=1``,
``sim:status=500,fail_times=2``, ``sim:drop_after=5``, ``sim:bytes=1000000``. A provider
prefix is allowed (``openai/sim:tokens=5``). A ``sim:`` string that breaks the grammar (an
unknown key, a bad value, a duplicate) is answered with HTTP 400 whose message names the
offending part.

Any other model name (``gpt-4o``, ``anthropic/claude-3-5-sonnet``, ``ollama/llama3:8b``,
``simulator``) gets the server's defaults, exactly like plain ``sim``: a real CrewAI project
names its own models, and a dry run must answer all of them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

MODEL_NAME = "sim"
"""The model name whose ``sim:key=value,...`` strings carry per-request settings."""

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class ModelStringError(ValueError):
    """A ``sim:`` model string that does not follow the grammar (see the module docstring)."""


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """Server-wide settings; every field but ``host`` and ``port`` is a default that a model
    string can override per request.

    Attributes:
        ttft: Seconds before the first token.
        tokens_per_second: Tokens per second after the first token.
        tokens: Tokens in a reply (the echo of the input may make it longer).
        status: Answer every request with this HTTP error status (400-599), or None.
        retry_after: Seconds sent in a ``Retry-After`` header with ``status``.
        fail_times: With ``status``, fail only the first N requests per model string.
        drop_after: Stream this many tokens, then close the connection abruptly.
        hang: Accept requests and never answer them.
        malformed: Send one SSE chunk of invalid JSON in each stream.
        reply_bytes: Make replies about this many bytes long.
        structured: Answer structured output requests with JSON that fits (else in text).
        host: Loopback address to bind.
        port: TCP port to bind; 0 picks a free one.
    """

    ttft: float = 0.05
    tokens_per_second: float = 200.0
    tokens: int = 20
    status: int | None = None
    retry_after: float | None = None
    fail_times: int | None = None
    drop_after: int | None = None
    hang: bool = False
    malformed: bool = False
    reply_bytes: int | None = None
    structured: bool = True
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        """Reject settings the server could not honour.

        Raises:
            ValueError: A setting is out of range or the host is not a loopback address.
        """
        if self.host not in LOOPBACK_HOSTS and not self.host.startswith("127."):
            raise ValueError(f"the simulator binds loopback addresses only, not {self.host!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be in 0..65535, not {self.port}")
        _validate(self.settings())

    def settings(self) -> ModelSettings:
        """Return the per-request settings this configuration gives a plain ``sim`` model."""
        return ModelSettings(
            ttft=self.ttft,
            tps=self.tokens_per_second,
            tokens=self.tokens,
            status=self.status,
            retry_after=self.retry_after,
            fail_times=self.fail_times,
            drop_after=self.drop_after,
            hang=self.hang,
            malformed=self.malformed,
            reply_bytes=self.reply_bytes,
            structured=self.structured,
        )


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """The behaviour of one request: server defaults merged with its model string.

    Field meanings match ``SimulatorConfig`` (``tps`` is ``tokens_per_second``).
    """

    ttft: float
    tps: float
    tokens: int
    status: int | None
    retry_after: float | None
    fail_times: int | None
    drop_after: int | None
    hang: bool
    malformed: bool
    reply_bytes: int | None
    context: int | None = None
    structured: bool = True
    echo_key: bool = False


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _parse_flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError(text)
    return text == "1"


_KEYS: dict[str, tuple[str, Callable[[str], object], str]] = {
    "ttft": ("ttft", _parse_float, "a number of seconds >= 0"),
    "tps": ("tps", _parse_float, "a number > 0"),
    "tokens": ("tokens", int, "an integer >= 1"),
    "status": ("status", int, "an HTTP status in 400..599"),
    "retry_after": ("retry_after", _parse_float, "a number of seconds >= 0"),
    "fail_times": ("fail_times", int, "an integer >= 1"),
    "drop_after": ("drop_after", int, "an integer >= 0"),
    "hang": ("hang", _parse_flag, "0 or 1"),
    "malformed": ("malformed", _parse_flag, "0 or 1"),
    "bytes": ("reply_bytes", int, "an integer >= 1"),
    "context": ("context", int, "an integer >= 1"),
    "structured": ("structured", _parse_flag, "0 or 1"),
    "echo_key": ("echo_key", _parse_flag, "0 or 1"),
}


def parse_model_string(model: str, defaults: ModelSettings) -> ModelSettings:
    """Merge the settings written in a model string over ``defaults``.

    Args:
        model: The ``model`` field of a request, e.g. ``"sim:ttft=0.5,tokens=20"``, or any
            other model name (which gets ``defaults``).
        defaults: The server-wide settings.

    Returns:
        The settings for this request.

    Raises:
        ModelStringError: A ``sim:`` string does not follow the grammar in the module
            docstring.
    """
    name, sep, spec = model.partition(":")
    if name.rsplit("/", 1)[-1] != MODEL_NAME:
        return defaults  # any other model (gpt-4o, ollama/llama3:8b) behaves like plain sim
    if not sep:
        return defaults
    if not spec:
        raise ModelStringError(f"Model string {model!r} has a ':' but no settings after it.")
    changes: dict[str, object] = {}
    for item in spec.split(","):
        key, value = _split_setting(item, model)
        field, parse, expected = _KEYS[key]
        if field in changes:
            raise ModelStringError(f"Setting {key!r} appears twice in model string {model!r}.")
        try:
            changes[field] = parse(value)
        except ValueError:
            raise ModelStringError(
                f"Setting {key!r} in model string {model!r} must be {expected}, not {value!r}."
            ) from None
    merged = dataclasses.replace(defaults, **changes)  # type: ignore[arg-type]  # fields checked by _KEYS
    try:
        _validate(merged)
    except ValueError as exc:
        raise ModelStringError(f"Model string {model!r}: {exc}") from None
    return merged


def _split_setting(item: str, model: str) -> tuple[str, str]:
    key, eq, value = item.partition("=")
    if not eq or not key or not value:
        raise ModelStringError(
            f"Setting {item!r} in model string {model!r} is not of the form key=value."
        )
    if key not in _KEYS:
        known = ", ".join(sorted(_KEYS))
        raise ModelStringError(
            f"Unknown setting {key!r} in model string {model!r}; known settings: {known}."
        )
    return key, value


def _validate(settings: ModelSettings) -> None:
    """Check the ranges of every setting.

    Raises:
        ValueError: With a message naming the setting.
    """
    problems = [
        (settings.ttft < 0, "ttft must be >= 0"),
        (settings.tps <= 0, "tps must be > 0"),
        (settings.tokens < 1, "tokens must be >= 1"),
        (settings.status is not None and not 400 <= settings.status <= 599,
         "status must be in 400..599"),
        (settings.retry_after is not None and settings.retry_after < 0,
         "retry_after must be >= 0"),
        (settings.fail_times is not None and settings.fail_times < 1,
         "fail_times must be >= 1"),
        (settings.drop_after is not None and settings.drop_after < 0,
         "drop_after must be >= 0"),
        (settings.reply_bytes is not None and settings.reply_bytes < 1, "bytes must be >= 1"),
        (settings.context is not None and settings.context < 1, "context must be >= 1"),
        (settings.status is None and settings.retry_after is not None,
         "retry_after needs status"),
        (settings.status is None and settings.fail_times is not None,
         "fail_times needs status"),
        (settings.echo_key and settings.status != 401, "echo_key needs status=401"),
    ]
    for failed, message in problems:
        if failed:
            raise ValueError(message)
