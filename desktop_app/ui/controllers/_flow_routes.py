"""Where a real flow run's models go: the configured providers, with the keychain's keys.

A flow's crews are made by the project's own code inside its steps (``LLM("gpt-4o")``,
``llm: openai/gpt-4o`` in a crew's YAML), so the app cannot route them when it builds them,
as it does for a crew project (`_project_build.route_models`). Instead the run is given a
route (`engine.llm.route_llm_targets_here`) read at each call: a model goes to the first
configured provider of its kind, else the default one when it has an address of its own
(as for crews); the provider's base URL fills an unset one; its key fills an unset key only
when the call goes to that provider's own address (a key never goes to an address the code
chose, nor to another kind's API). The keys are read
from the secret store before the run (blocking: a worker thread), never during a call.
"""

from __future__ import annotations

from desktop_app.engine.llm import LLMRoute, LLMTarget
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import ProviderSettings, Settings
from desktop_app.ui.controllers.crew_factory import provider_kind_of

__all__ = ["flow_router", "provider_keys"]


def provider_keys(settings: Settings, store: SecretStore) -> dict[str, str]:
    """Each configured provider's key (keychain, session, environment), by provider id
    (blocking: the keychain)."""
    keys: dict[str, str] = {}
    for provider in settings.providers:
        found = store.resolve(provider.credential_name, provider.kind)
        if found is not None and found.value:
            keys[provider.id] = found.value
    return keys


def flow_router(settings: Settings, keys: dict[str, str]) -> LLMRoute:
    """The route of a real flow run's calls (pure: it reads `settings` and `keys` only)."""
    default = settings.provider(settings.default_provider) if settings.default_provider \
        else None

    def route(own: LLMTarget) -> LLMTarget | None:
        kind = provider_kind_of(own.model)
        provider: ProviderSettings | None = next(
            (p for p in settings.providers if p.kind == kind), default)
        if provider is None:
            return None
        if provider.kind != kind and provider.base_url is None:
            return None  # the default provider's key must not go to this model's own API
        base_url = own.base_url or provider.base_url
        api_key = own.api_key
        if api_key is None and base_url == provider.base_url:
            api_key = keys.get(provider.id)
        return LLMTarget(own.model, base_url, api_key)

    return route
