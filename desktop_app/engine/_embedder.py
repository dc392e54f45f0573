"""Embeddings: `Embedder`, CrewAI's `embedder` setting made callable (memory, knowledge, RAG).

Embedding models of OpenAI-protocol providers are called natively (`_openai_protocol`); every
other one (Gemini, Voyage, Cohere, ...) through litellm's embedding API, loaded off the loop.
A forced target (`force_llm_target*`, `_llm_targets`) applies here as to chat calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from desktop_app.engine import _llm_routes as _routes
from desktop_app.engine._litellm_call import register_litellm_key
from desktop_app.engine._llm_loading import aload_litellm, aload_native, load_litellm, load_native
from desktop_app.engine._llm_result import field_of
from desktop_app.engine._llm_targets import current_forced
from desktop_app.engine._provider_errors import classify
from desktop_app.engine._secrets_mask import register_secrets
from desktop_app.engine.errors import LLMError

_EMBEDDER_ROUTES = {"google": "gemini", "google-generativeai": "gemini", "voyageai": "voyage"}
"""CrewAI's embedder provider names that litellm spells another way."""


class Embedder:
    """An embedding model and how to call it, built from CrewAI's `embedder` setting.

    Args:
        model: A litellm model string ("openai/text-embedding-3-small").
        api_base: The provider's base URL.
        api_key: The key; None lets litellm read the provider's environment variable.
        dimensions: Ask the provider for vectors of this size (where it supports that).
        batch_size: Texts sent in one request.
    """

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        dimensions: int | None = None,
        batch_size: int = 64,
    ) -> None:
        self.model = model
        self.api_base = api_base
        self.api_key = api_key
        register_secrets([api_key])
        self.dimensions = dimensions
        self.batch_size = max(1, batch_size)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Embedder:
        """Builds one from CrewAI's `{"provider": ..., "config": {"model": ...}}` shape.

        Raises:
            ValueError: No model is named.
        """
        provider = str(config.get("provider") or "openai")
        options = dict(config.get("config") or {})
        model = options.get("model") or options.get("model_name")
        if not model:
            raise ValueError("the embedder needs a model: {'config': {'model': ...}}")
        route = _EMBEDDER_ROUTES.get(provider, provider)
        model = str(model) if "/" in str(model) else f"{route}/{model}"
        return cls(
            model,
            api_base=options.get("api_base") or options.get("base_url") or options.get("url"),
            api_key=options.get("api_key"),
            dimensions=options.get("dimensions"),
        )

    @property
    def identity(self) -> str:
        """What makes two embedders' vectors comparable: model and size."""
        return f"{self.model}:{self.dimensions or ''}"

    async def aembed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embeds `texts` in batches, natively for OpenAI-protocol providers, else through
        litellm's async API.

        Raises:
            LLMError: The provider refused or failed.
        """
        route = self._route()
        vectors: list[list[float]] = []
        if route is not None:
            native = await aload_native()
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start : start + self.batch_size]
                vectors.extend(await native.aembed(route, batch, self.dimensions))
            return vectors
        litellm = await aload_litellm()
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            try:
                response = await litellm.aembedding(**self._request(batch))
            except Exception as exc:
                raise self._error(exc) from exc
            vectors.extend(_vectors_of(response))
        return vectors

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The blocking twin of `aembed` (the `kickoff` path)."""
        route = self._route()
        vectors: list[list[float]] = []
        if route is not None:
            native = load_native()
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start : start + self.batch_size]
                vectors.extend(native.embed(route, batch, self.dimensions))
            return vectors
        litellm = load_litellm()
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            try:
                response = litellm.embedding(**self._request(batch))
            except Exception as exc:
                raise self._error(exc) from exc
            vectors.extend(_vectors_of(response))
        return vectors

    def _route(self) -> _routes.NativeRoute | None:
        """The native route of the next request, or None for litellm (`_llm_routes`)."""
        request = self._request([])
        model = request["model"]
        try:
            return _routes.route_for(
                model, request.get("api_base"), request.get("api_key"), {}, purpose="embeddings"
            )
        except _routes.NeedsLitellm as exc:
            raise LLMError("other", str(exc), provider=model.split("/")[0], model=model) from None

    def _request(self, batch: list[str]) -> dict[str, Any]:
        model, api_base, api_key = self.model, self.api_base, self.api_key
        forced = current_forced()
        if forced is not None:
            model = forced.model or model
            if forced.base_url is not None:
                api_base, api_key = forced.base_url, forced.api_key
            else:
                api_key = forced.api_key or api_key
        request: dict[str, Any] = {"model": model, "input": batch}
        optional = {
            "api_base": api_base,
            "api_key": api_key,
            "dimensions": self.dimensions,
        }
        request.update({key: value for key, value in optional.items() if value is not None})
        register_litellm_key(model, api_key)
        return request

    def _error(self, exc: Exception) -> LLMError:
        provider = self.model.split("/", 1)[0]
        return classify(exc, provider=provider, model=self.model, streaming=False)


def _vectors_of(response: Any) -> list[list[float]]:
    data = sorted(field_of(response, "data") or [], key=lambda item: field_of(item, "index") or 0)
    return [[float(v) for v in field_of(item, "embedding")] for item in data]
