"""Which model calls the engine makes itself, over which protocol, and which go to litellm
(private to `llm.py`; imports nothing heavy, so `import desktop_app.engine` stays fast).

Model strings stay litellm's (`openai/gpt-4o-mini`, `groq/llama-3.1-8b-instant`,
`ollama/llama3.2`, `anthropic/claude-haiku-4-5`, `gemini/gemini-2.5-flash`), so nothing changes
for users or crew files. A model whose provider the engine speaks gets a `NativeRoute` (where
to send it, with which key, over which protocol): OpenAI's chat-completions protocol
(`OPENAI_PROTOCOL`, `_openai_protocol`), Anthropic's Messages API (`anthropic/`, bare `claude-*`;
`_anthropic_protocol`) and Google AI Studio's Gemini API (`gemini/`; `_gemini_protocol`);
every other one (Vertex AI, Bedrock, ...) goes through litellm, imported only then.

`CREWDESK_LLM_CLIENT` chooses, read at each call (for comparison and rollback):
- `auto` (the default): native for the providers of `OPENAI_PROTOCOL` and `OTHER_PROTOCOLS`,
  litellm for the rest;
- `litellm`: every call through litellm, as before the native client;
- `native`: as `auto`, but a model that would need litellm fails with an `LLMError` instead
  of importing it (proves a build or a benchmark never loads litellm).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from desktop_app.engine._secrets_mask import register_secrets

ClientMode = Literal["auto", "native", "litellm"]
WireProtocol = Literal["openai", "anthropic", "gemini"]
Purpose = Literal["chat", "embeddings"]

CLIENT_ENV = "CREWDESK_LLM_CLIENT"


@dataclass(frozen=True, slots=True)
class _Provider:
    default_base: str | None
    key_envs: tuple[str, ...]
    base_envs: tuple[str, ...]


OPENAI_PROTOCOL: dict[str, _Provider] = {
    "openai": _Provider(
        "https://api.openai.com/v1", ("OPENAI_API_KEY",), ("OPENAI_BASE_URL", "OPENAI_API_BASE")
    ),
    "groq": _Provider("https://api.groq.com/openai/v1", ("GROQ_API_KEY",), ("GROQ_API_BASE",)),
    "openrouter": _Provider(
        "https://openrouter.ai/api/v1",
        ("OPENROUTER_API_KEY", "OR_API_KEY"),
        ("OPENROUTER_API_BASE",),
    ),
    "lm_studio": _Provider(
        "http://localhost:1234/v1", ("LM_STUDIO_API_KEY",), ("LM_STUDIO_API_BASE",)
    ),
    "hosted_vllm": _Provider(None, ("HOSTED_VLLM_API_KEY",), ("HOSTED_VLLM_API_BASE",)),
    "openai_like": _Provider(None, (), ()),
    "custom_openai": _Provider(None, (), ()),
    # Ollama's OpenAI-compatible endpoint, `<server>/v1` (litellm's `ollama/` route speaks
    # Ollama's own API instead); a base URL without `/v1` gets it appended.
    "ollama": _Provider("http://localhost:11434", ("OLLAMA_API_KEY",), ("OLLAMA_API_BASE",)),
    "ollama_chat": _Provider("http://localhost:11434", ("OLLAMA_API_KEY",), ("OLLAMA_API_BASE",)),
    # Azure OpenAI: the deployment in the path, `api-version` in the query, the key in an
    # `api-key` header (`NativeRoute.chat_url`, `auth_headers`).
    "azure": _Provider(None, ("AZURE_OPENAI_API_KEY", "AZURE_API_KEY"), ("AZURE_API_BASE",)),
}
"""Providers spoken natively: default base URL, key and base URL environment variables."""

OTHER_PROTOCOLS: dict[str, tuple[WireProtocol, _Provider]] = {
    # Anthropic's Messages API: `<base>/v1/messages`, the key in `x-api-key` (litellm's
    # variables: ANTHROPIC_API_BASE before ANTHROPIC_BASE_URL).
    "anthropic": (
        "anthropic",
        _Provider(
            "https://api.anthropic.com",
            ("ANTHROPIC_API_KEY",),
            ("ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"),
        ),
    ),
    # Google AI Studio: `<base>/models/<model>:streamGenerateContent`, the key in
    # `x-goog-api-key` (litellm reads GOOGLE_API_KEY before GEMINI_API_KEY). `vertex_ai/`
    # stays on litellm (Google Cloud credentials).
    "gemini": (
        "gemini",
        _Provider(
            "https://generativelanguage.googleapis.com/v1beta",
            ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
            ("GEMINI_API_BASE",),
        ),
    ),
}
"""Providers spoken natively over their own protocol: the protocol and where it is."""

_KEYED = frozenset({"openai", "groq", "openrouter", "anthropic", "gemini"})
"""Providers whose official endpoint refuses a call without a key."""

_BARE_OPENAI_PREFIXES = (
    "gpt-",
    "o1",
    "o3",
    "o4",
    "chatgpt-",
    "text-embedding-",
    "text-davinci",
    "davinci",
    "ft:gpt",
)
"""Model names litellm gives to OpenAI when no provider prefix is written."""

LITELLM_ONLY_OPTIONS = frozenset(
    {
        "mock_response",
        "custom_llm_provider",
        "api_version",
        "azure_ad_token",
        "input_cost_per_token",
        "output_cost_per_token",
        "litellm_params",
        "fallbacks",
        "model_list",
    }
)
"""Options only litellm understands: a call that sets one goes through litellm (Azure's
`api_version` excepted: the native route reads it)."""

AZURE_DEFAULT_API_VERSION = "2025-02-01-preview"
"""The `api-version` when neither the LLM nor `AZURE_API_VERSION` gives one (litellm's)."""


@dataclass(frozen=True, slots=True)
class NativeRoute:
    """Where a native call goes.

    Attributes:
        provider: The provider's name as litellm spells it ("openai"); errors name it.
        model: The model name the provider knows ("gpt-4o-mini"), without the route prefix.
        base_url: The OpenAI-style base URL, without a trailing slash (".../v1").
        api_key: The key sent as a bearer token, or None for no Authorization header.
        model_string: The model string as written ("openai/gpt-4o-mini"); errors name it.
        api_version: Azure's `api-version`; None for every other provider.
        protocol: Which wire protocol the provider speaks (which module makes the call).
        bearer: Anthropic only: `api_key` is an OAuth token (`ANTHROPIC_AUTH_TOKEN`), sent as
            `Authorization: Bearer` instead of `x-api-key`, as litellm and Anthropic's SDK do.
    """

    provider: str
    model: str
    base_url: str
    api_key: str | None
    model_string: str
    api_version: str | None = None
    protocol: WireProtocol = "openai"
    bearer: bool = False

    def endpoint(self, name: str) -> str:
        """The URL of an endpoint ("chat/completions", "embeddings")."""
        if self.api_version is None:
            return f"{self.base_url}/{name}"
        return (
            f"{self.base_url}/openai/deployments/{self.model}/{name}?api-version={self.api_version}"
        )

    def auth_headers(self) -> dict[str, str]:
        """The key as this provider wants it (Azure: `api-key`; others: a bearer token)."""
        if not self.api_key:
            return {}
        if self.api_version is not None:
            return {"api-key": self.api_key}
        return {"Authorization": f"Bearer {self.api_key}"}


class NeedsLitellm(Exception):
    """`CREWDESK_LLM_CLIENT=native` and the model's provider is not spoken natively."""


def client_mode() -> ClientMode:
    """The client choice from `CREWDESK_LLM_CLIENT` (unknown values count as `auto`)."""
    value = os.environ.get(CLIENT_ENV, "auto").strip().lower()
    if value in ("native", "litellm"):
        return value  # type: ignore[return-value]
    return "auto"


def route_for(
    model: str,
    base_url: str | None,
    api_key: str | None,
    options: Mapping[str, Any],
    *,
    purpose: Purpose = "chat",
) -> NativeRoute | None:
    """The native route of a call, or None when it goes through litellm.

    Embeddings are native on OpenAI-protocol providers only (Anthropic has none; Gemini's
    go through litellm).

    Raises:
        NeedsLitellm: The mode is `native` and this call cannot be made natively.
    """
    mode = client_mode()
    if mode == "litellm":
        return None
    route = _native_route(model, base_url, api_key, options)
    if route is not None and purpose == "embeddings" and route.protocol != "openai":
        route = None
    if route is None and mode == "native":
        raise NeedsLitellm(
            f"{CLIENT_ENV}=native, but '{model}' needs litellm (its provider is not spoken "
            "natively, or an option only litellm knows is set)"
        )
    return route


def _native_route(
    model: str, base_url: str | None, api_key: str | None, options: Mapping[str, Any]
) -> NativeRoute | None:
    provider, _, name = model.partition("/")
    allowed = {"api_version"} if provider == "azure" else set()
    if any(name in LITELLM_ONLY_OPTIONS and name not in allowed for name in options):
        return None
    if not name:
        bare = _bare_provider(model)
        if bare is None:
            return None
        provider, name = bare, model
    if provider in OTHER_PROTOCOLS:
        return _other_route(provider, name, model, base_url, api_key)
    spec = OPENAI_PROTOCOL.get(provider)
    if spec is None:
        return None
    base = base_url or _first_env(spec.base_envs) or spec.default_base
    if base is None:
        return None
    base = base.rstrip("/")
    if provider.startswith("ollama") and not base.endswith("/v1"):
        base = f"{base}/v1"
    key = api_key or _first_env(spec.key_envs)
    register_secrets([key])  # found at call time: masked wherever run text goes
    version = None
    if provider == "azure":
        version = (
            options.get("api_version")
            or os.environ.get("AZURE_API_VERSION")
            or AZURE_DEFAULT_API_VERSION
        )
    return NativeRoute(
        provider=provider,
        model=name,
        base_url=base,
        api_key=key,
        model_string=model,
        api_version=version,
    )


def _bare_provider(model: str) -> str | None:
    """The provider litellm gives a model named without a prefix ("claude-..." is
    Anthropic's, "gpt-4o" OpenAI's), or None."""
    if model.startswith("claude-"):
        return "anthropic"
    return "openai" if model.startswith(_BARE_OPENAI_PREFIXES) else None


def _other_route(
    provider: str, name: str, model: str, base_url: str | None, api_key: str | None
) -> NativeRoute:
    protocol, spec = OTHER_PROTOCOLS[provider]
    base = (base_url or _first_env(spec.base_envs) or spec.default_base or "").rstrip("/")
    key = api_key or _first_env(spec.key_envs)
    token = None if key or provider != "anthropic" else os.environ.get("ANTHROPIC_AUTH_TOKEN")
    register_secrets([key or token])
    return NativeRoute(
        provider=provider,
        model=name,
        base_url=base,
        api_key=key or token,
        model_string=model,
        protocol=protocol,
        bearer=bool(token),
    )


def _spec_of(provider: str) -> _Provider | None:
    other = OTHER_PROTOCOLS.get(provider)
    return other[1] if other is not None else OPENAI_PROTOCOL.get(provider)


def needs_key(route: NativeRoute) -> bool:
    """Whether the call goes to a provider's official endpoint without a key."""
    if route.api_key or route.provider not in _KEYED:
        return False
    spec = _spec_of(route.provider)
    return spec is not None and route.base_url == (spec.default_base or "").rstrip("/")


def key_env_of(provider: str) -> str:
    """The environment variable that holds a provider's key ("OPENAI_API_KEY")."""
    spec = _spec_of(provider)
    return spec.key_envs[0] if spec and spec.key_envs else f"{provider.upper()}_API_KEY"


def key_envs_text(provider: str) -> str:
    """Every variable read for a provider's key, for messages ("GOOGLE_API_KEY or
    GEMINI_API_KEY is not set")."""
    spec = _spec_of(provider)
    if spec is None or not spec.key_envs:
        return key_env_of(provider)
    return " or ".join(spec.key_envs)


def _first_env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None
