"""What CrewDesk knows about each provider kind: labels, suggested models, default URLs.

No Qt here: the settings dialog and the connection test read these tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from desktop_app.storage.settings import ProviderKind, ProviderSettings, Settings


@dataclass(frozen=True)
class KindInfo:
    """How a provider kind is shown and set up.

    Attributes:
        label: The name users know it by.
        models: Suggested litellm model strings, the first being the default.
        base_url: The base URL to start with (None: the provider's own).
        needs_key: Whether it always needs an API key (an OpenAI-compatible server may not).
        needs_url: Whether the user must give a base URL.
    """

    label: str
    models: tuple[str, ...]
    base_url: str | None = None
    needs_key: bool = True
    needs_url: bool = False


KINDS: Mapping[ProviderKind, KindInfo] = MappingProxyType({
    "openai": KindInfo("OpenAI", ("openai/gpt-4o-mini", "openai/gpt-4o", "openai/gpt-4.1-mini")),
    "anthropic": KindInfo(
        "Anthropic", ("anthropic/claude-3-5-haiku-latest", "anthropic/claude-3-7-sonnet-latest")
    ),
    "gemini": KindInfo("Google Gemini", ("gemini/gemini-2.0-flash", "gemini/gemini-1.5-pro")),
    "groq": KindInfo("Groq", ("groq/llama-3.1-8b-instant", "groq/llama-3.3-70b-versatile")),
    "ollama": KindInfo("Ollama (local)", ("ollama/llama3.2", "ollama/qwen2.5"),
                       "http://localhost:11434", needs_key=False),
    "lm_studio": KindInfo("LM Studio (local)", ("lm_studio/qwen2.5-7b-instruct",),
                          "http://localhost:1234/v1", needs_key=False),
    "openai_compatible": KindInfo("OpenAI-compatible server", ("openai/my-model",),
                                  needs_key=False, needs_url=True),
    "simulator": KindInfo("Offline simulator", ("openai/sim",), needs_key=False),
})
"""Every provider kind, in the order the "Add provider" menu shows them."""


def new_provider(settings: Settings, kind: ProviderKind) -> ProviderSettings:
    """A provider of `kind` with a fresh id, its suggested model, URL and credential name."""
    info = KINDS[kind]
    taken = {provider.id for provider in settings.providers}
    provider_id: str = kind
    number = 2
    while provider_id in taken:
        provider_id, number = f"{kind}_{number}", number + 1
    return ProviderSettings(
        id=provider_id,
        kind=kind,
        display_name=info.label if provider_id == kind else f"{info.label} {number - 1}",
        base_url=info.base_url,
        default_model=info.models[0],
        credential_name=f"{provider_id}-api-key" if info.needs_key or kind == "openai_compatible"
        else None,
    )
