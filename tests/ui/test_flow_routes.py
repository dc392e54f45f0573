"""`_flow_routes.flow_router`: a real flow run's models to the configured providers."""

from __future__ import annotations

from desktop_app.engine.llm import LLMTarget
from desktop_app.storage.settings import ProviderSettings, Settings
from desktop_app.ui.controllers._flow_routes import flow_router

OPENAI = ProviderSettings(id="oa", kind="openai", display_name="OpenAI", base_url=None,
                          credential_name="oa-key", default_model="openai/gpt-4o-mini")
LOCAL = ProviderSettings(id="local", kind="ollama", display_name="Local",
                         base_url="http://127.0.0.1:11434", credential_name=None,
                         default_model="ollama/llama3.2")
SETTINGS = Settings(providers=[OPENAI, LOCAL], default_provider="oa")
KEYS = {"oa": "sk-openai-from-keychain", "local": "local-key"}


def test_an_unset_address_and_key_are_the_providers() -> None:
    route = flow_router(SETTINGS, KEYS)
    assert route(LLMTarget("gpt-4o", None, None)) == LLMTarget(
        "gpt-4o", None, "sk-openai-from-keychain")
    assert route(LLMTarget("ollama/llama3.2", None, None)) == LLMTarget(
        "ollama/llama3.2", "http://127.0.0.1:11434", "local-key")


def test_the_codes_own_values_win_and_a_key_never_goes_to_its_address() -> None:
    route = flow_router(SETTINGS, KEYS)
    assert route(LLMTarget("gpt-4o", None, "sk-code")) == LLMTarget("gpt-4o", None, "sk-code")
    elsewhere = route(LLMTarget("openai/gpt-4o", "https://proxy.example/v1", None))
    assert elsewhere == LLMTarget("openai/gpt-4o", "https://proxy.example/v1", None)


def test_a_model_of_no_configured_kind_goes_to_a_default_provider_with_an_address() -> None:
    claude = LLMTarget("anthropic/claude-3-5-haiku", None, None)
    assert flow_router(SETTINGS, KEYS)(claude) is None  # OpenAI's key never to Anthropic
    local_first = Settings(providers=[OPENAI, LOCAL], default_provider="local")
    assert flow_router(local_first, KEYS)(claude) == LLMTarget(
        "anthropic/claude-3-5-haiku", "http://127.0.0.1:11434", "local-key")
    assert flow_router(Settings(), {})(LLMTarget("gpt-4o", None, None)) is None
