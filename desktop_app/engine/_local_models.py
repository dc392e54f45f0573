"""Models served on this machine by Ollama and LM Studio, found rather than typed.

The app lists them in its model pickers with a "local" badge (`ui/widgets/local_models.py`)
and warns when one cannot call tools. What is asked, each with a short timeout so a machine
without these servers costs well under a second, and always off the event loop / GUI thread
(`find_local_models` blocks; `afind_local_models` runs it in a worker thread):

- Ollama (`OLLAMA_API_BASE`, else `http://localhost:11434`, as `_llm_routes` routes
  `ollama/...`): `GET /api/tags` lists the installed models; `POST /api/show` gives each one's
  `capabilities` (Ollama 0.6+: "completion", "tools", "embedding", "vision", ...). A server
  too old to say leaves `tools` unknown (None).
- LM Studio (`LM_STUDIO_API_BASE` without its `/v1`, else `http://localhost:1234`):
  `GET /api/v0/models` (LM Studio's own REST API: `type` llm/vlm/embeddings and, from 0.3.16,
  `capabilities` with "tool_use"); when that is missing, `GET /v1/models` (ids only).

Model strings are litellm's, as a user would type them: `ollama/<name>` and
`lm_studio/<id>`; both go to the native OpenAI-protocol client.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

Server = Literal["ollama", "lm_studio"]

OLLAMA_URL = "http://localhost:11434"
LM_STUDIO_URL = "http://localhost:1234"

TIMEOUT = httpx.Timeout(2.0, connect=0.3)
"""A local server answers at once or is not there: 0.3 s to connect, 2 s to answer."""


@dataclass(frozen=True)
class LocalModel:
    """One model a local server offers.

    Attributes:
        server: Which kind of server ("ollama" or "lm_studio").
        name: The model as the server names it (`llama3.2:latest`, `qwen2.5-7b-instruct`).
        model: The model string for `LLM(model=...)` (`ollama/llama3.2:latest`).
        base_url: The server's address.
        tools: Whether the model can call tools; None when the server does not say.
        embedding: True for an embedding model (not for agents).
        detail: A short description for a tooltip (size, quantization, family).
    """

    server: Server
    name: str
    model: str
    base_url: str
    tools: bool | None
    embedding: bool = False
    detail: str = ""

    @property
    def server_label(self) -> str:
        """The server's product name."""
        return "Ollama" if self.server == "ollama" else "LM Studio"

    def tool_warning(self) -> str | None:
        """A sentence for the user when this model cannot call tools, else None."""
        if self.tools is not False:
            return None
        return (
            f"{self.name} ({self.server_label}) cannot call tools: an agent with tools needs a "
            "model whose capabilities include tools (for example llama3.1, qwen2.5 or "
            "mistral-nemo)."
        )


def server_urls() -> dict[Server, str]:
    """Where to look for each server: the engine's own variables, else the defaults."""
    ollama = os.environ.get("OLLAMA_API_BASE") or OLLAMA_URL
    lm_studio = os.environ.get("LM_STUDIO_API_BASE") or LM_STUDIO_URL
    lm_studio = lm_studio.rstrip("/").removesuffix("/v1")
    return {"ollama": ollama.rstrip("/").removesuffix("/v1"), "lm_studio": lm_studio}


def find_local_models(urls: dict[Server, str] | None = None) -> list[LocalModel]:
    """Asks each local server for its models (blocking; a server not running gives none).

    Args:
        urls: Where each server is; `server_urls()` when None.

    Returns:
        Ollama's models, then LM Studio's, each in the server's order.
    """
    urls = urls if urls is not None else server_urls()
    found: list[LocalModel] = []
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as client:
        if "ollama" in urls:
            found += _ollama(client, urls["ollama"])
        if "lm_studio" in urls:
            found += _lm_studio(client, urls["lm_studio"])
    return found


async def afind_local_models(urls: dict[Server, str] | None = None) -> list[LocalModel]:
    """`find_local_models` in a worker thread, so the loop never waits on a socket."""
    return await asyncio.to_thread(find_local_models, urls)


def _get_json(client: httpx.Client, method: str, url: str, **kwargs: Any) -> Any:
    """The JSON answer of one request, or None when the server is not there or says no."""
    try:
        response = client.request(method, url, **kwargs)
        if response.status_code != 200:
            return None
        return response.json()
    except (httpx.HTTPError, ValueError):
        return None


def _ollama(client: httpx.Client, base: str) -> list[LocalModel]:
    tags = _get_json(client, "GET", f"{base}/api/tags")
    if not isinstance(tags, dict):
        return []
    models = []
    for entry in tags.get("models") or ():
        name = entry.get("name") or entry.get("model") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            continue
        show = _get_json(client, "POST", f"{base}/api/show", json={"model": name})
        capabilities = show.get("capabilities") if isinstance(show, dict) else None
        models.append(LocalModel(
            server="ollama", name=name, model=f"ollama/{name}", base_url=base,
            tools=_has(capabilities, "tools"),
            embedding=_has(capabilities, "embedding") is True
            and _has(capabilities, "completion") is not True,
            detail=_ollama_detail(entry.get("details")),
        ))
    return models


def _has(capabilities: Any, name: str) -> bool | None:
    if not isinstance(capabilities, list):
        return None
    return name in capabilities


def _ollama_detail(details: Any) -> str:
    if not isinstance(details, dict):
        return ""
    parts = [details.get(key) for key in ("family", "parameter_size", "quantization_level")]
    return " · ".join(str(part) for part in parts if part)


def _lm_studio(client: httpx.Client, base: str) -> list[LocalModel]:
    listing = _get_json(client, "GET", f"{base}/api/v0/models")
    rich = isinstance(listing, dict) and isinstance(listing.get("data"), list)
    if not rich:
        listing = _get_json(client, "GET", f"{base}/v1/models")
    if not isinstance(listing, dict):
        return []
    return [
        model for entry in listing.get("data") or ()
        if (model := _lm_studio_model(entry, base, rich)) is not None
    ]


def _lm_studio_model(entry: Any, base: str, rich: bool) -> LocalModel | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return None
    name = entry["id"]
    capabilities = entry.get("capabilities")
    tools = _has(capabilities, "tool_use") if rich else None
    detail = " · ".join(
        str(entry[key]) for key in ("arch", "quantization", "state") if entry.get(key)
    )
    return LocalModel(
        server="lm_studio", name=name, model=f"lm_studio/{name}", base_url=base,
        tools=tools, embedding=entry.get("type") == "embeddings", detail=detail,
    )


def local_model_named(models: Sequence[LocalModel], model: str) -> LocalModel | None:
    """The found model a model string names (`ollama/llama3.2` matches `llama3.2:latest`)."""
    for found in models:
        if model in (found.model, found.name):
            return found
    for found in models:
        if found.server == "ollama" and f"{model}:latest" == found.model:
            return found
    return None
