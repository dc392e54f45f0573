"""Loading the LLM clients: litellm and the native protocol modules, each once per process.

`import litellm` takes seconds and must never run on an event loop: the async path imports
it in a worker thread once (`aload_litellm`), the sync path imports it where it runs. The
native clients cost httpx's import (about 0.4 s) the first time, loaded the same way. No
module imports litellm statically (an import-linter contract): it is loaded here by name.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
import threading
from types import ModuleType
from typing import Any

from desktop_app.engine._llm_routes import WireProtocol

_litellm: ModuleType | None = None
_import_lock = threading.Lock()
_native: dict[str, ModuleType] = {}


def load_litellm() -> ModuleType:
    """Imports and configures litellm (blocking: seconds on first call).

    Sets `LITELLM_LOCAL_MODEL_COST_MAP` first, so the import never reaches the network.
    Then moves every object alive out of the garbage collector's reach (`gc.freeze`): litellm's
    import leaves hundreds of thousands of long-lived objects, and each later full collection
    scanned them all while holding the GIL, a 250 ms stall of the event loop in the middle of
    200 streaming crews (benchmarks/README.md). Those objects live as long as the process
    anyway; what a program frees later is collected as before.
    """
    global _litellm
    with _import_lock:
        if _litellm is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            module: Any = importlib.import_module("litellm")
            module.suppress_debug_info = True
            module.drop_params = True
            # The engine reads usage from the provider and logs nothing through litellm:
            # its per-stream logging only costs CPU (about 0.3 ms a call, measured here).
            module.disable_streaming_logging = True
            gc.freeze()
            _litellm = module
    return _litellm


async def aload_litellm() -> ModuleType:
    """`load_litellm` off the loop (in a worker thread), at once when already loaded."""
    if _litellm is not None:
        return _litellm
    return await asyncio.to_thread(load_litellm)


def load_native(protocol: WireProtocol = "openai") -> ModuleType:
    """Imports the native client of a protocol (`_openai_protocol`, `_anthropic_protocol`,
    `_gemini_protocol`; blocking: httpx's import, about 0.4 s, the first time).

    After the first one, every object alive is moved out of the collector's reach
    (`gc.freeze`), as `load_litellm` does: with the engine and httpx loaded (about 65,000
    objects), a full collection in the middle of 200 streaming crews stalled the loop 30 ms;
    frozen, the loop's worst lag was 11-16 ms (benchmarks/README.md, "Many crews at once").
    """
    module = _native.get(protocol)
    if module is None:
        module = importlib.import_module(f"desktop_app.engine._{protocol}_protocol")
        with _import_lock:
            if not _native:
                gc.freeze()
            _native[protocol] = module
    return module


async def aload_native(protocol: WireProtocol = "openai") -> ModuleType:
    """`load_native` off the loop (in a worker thread), at once when already loaded."""
    module = _native.get(protocol)
    if module is not None:
        return module
    return await asyncio.to_thread(load_native, protocol)
