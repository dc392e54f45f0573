"""Prices per token from litellm's own price file, read without importing litellm (private to
`llm.py`).

litellm ships `model_prices_and_context_window_backup.json` (3.5 MB, about 4,900 models) in its
package; `importlib.util.find_spec` finds the folder without running litellm's `__init__`.
Parsing it takes about 75 ms here, once per process (`load` runs in a worker thread on the
async path); each model's price is then remembered.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path
from typing import Any

PRICE_FILE = "model_prices_and_context_window_backup.json"

_table: dict[str, Any] | None = None
_lock = threading.Lock()
_prices: dict[tuple[str, str], tuple[float, float] | None] = {}


def loaded() -> bool:
    """Whether the price file has been read (so `price_of` does not block)."""
    return _table is not None


def load() -> None:
    """Reads the price file (blocking, about 75 ms); an absent file prices nothing."""
    global _table
    with _lock:
        if _table is not None:
            return
        table: dict[str, Any] = {}
        try:
            spec = importlib.util.find_spec("litellm")
            folders = list(spec.submodule_search_locations or []) if spec else []
            if folders:
                table = json.loads((Path(folders[0]) / PRICE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError, ImportError):
            table = {}
        _table = table


def price_of(provider: str, model: str) -> tuple[float, float] | None:
    """USD per input and per output token of `model` (the provider's name for it), or None
    when the table does not price it."""
    key = (provider, model)
    if key not in _prices:
        load()
        _prices[key] = _lookup(provider, model)
    return _prices[key]


def _lookup(provider: str, model: str) -> tuple[float, float] | None:
    table = _table or {}
    for name in (f"{provider}/{model}", model):
        info = table.get(name)
        if not isinstance(info, dict) or info.get("litellm_provider") not in (provider, None):
            continue
        prompt, completion = info.get("input_cost_per_token"), info.get("output_cost_per_token")
        if prompt is None and completion is None:
            continue
        return float(prompt or 0.0), float(completion or 0.0)
    return None


def max_output_tokens(provider: str, model: str) -> int | None:
    """The most tokens `model` may write in one answer, by the price file, or None.

    Anthropic's API requires `max_tokens` on every call (`_anthropic_protocol`); reading the
    file blocks for about 75 ms once (async callers load it in a worker thread first).
    """
    load()
    table = _table or {}
    for name in (f"{provider}/{model}", model):
        info = table.get(name)
        if isinstance(info, dict) and info.get("litellm_provider") in (provider, None):
            value = info.get("max_output_tokens") or info.get("max_tokens")
            return int(value) if isinstance(value, int | float) and value > 0 else None
    return None
