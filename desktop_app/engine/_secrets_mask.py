"""Known secret values, masked in every text that leaves a run (issue 12, point 4).

The engine registers every key it is given or finds (an `LLM`'s `api_key`, a provider's
environment variable read at call time, a tool's key, an embedder's key); the app and the
CLI register the keys they hand out. `mask` then replaces each known value in a text by a
short form that keeps at most its last 4 characters (``sk-…abcd``), so a tool's output, an
error a provider echoed a key in, or a terminal line never carries a key whole.

The registry is process-wide and only grows: a key once known stays masked.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

__all__ = ["MIN_SECRET_LENGTH", "known_secrets", "mask", "masked_form", "register_secrets"]

MIN_SECRET_LENGTH = 8
"""Shorter values are not registered: masking them would garble ordinary text."""

_PREFIX = re.compile(r"[A-Za-z]{2,4}[-_]")
_lock = threading.Lock()
_known: frozenset[str] = frozenset()
_pattern: re.Pattern[str] | None = None


def register_secrets(values: Iterable[str | None]) -> None:
    """Adds values to mask from now on; None, blank and short values are skipped.

    Thread-safe; cheap when every value is known already.
    """
    global _known, _pattern
    fresh = {
        value.strip() for value in values
        if value and len(value.strip()) >= MIN_SECRET_LENGTH
    }
    if fresh <= _known:
        return
    with _lock:
        known = _known | fresh
        ordered = sorted(known, key=len, reverse=True)  # a longer key first, if one holds another
        _pattern = re.compile("|".join(re.escape(value) for value in ordered))
        _known = frozenset(known)


def known_secrets() -> frozenset[str]:
    """The values registered so far."""
    return _known


def masked_form(value: str) -> str:
    """What a key is shown as: a vendor prefix ("sk-") and its last 4 characters, when it
    is long enough that these give nothing away (``sk-…abcd``), else ``…``."""
    if len(value) < 16:
        return "…"
    prefix = _PREFIX.match(value)
    return f"{prefix.group(0) if prefix else ''}…{value[-4:]}"


def mask(text: str) -> str:
    """`text` with every registered secret replaced by its `masked_form`."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(lambda found: masked_form(found.group(0)), text)
