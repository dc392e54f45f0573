"""The engine's stores live where the app's storage layer says data lives."""

from __future__ import annotations

import pytest

from desktop_app.engine import Embedder
from desktop_app.engine._paths import data_dir, store_key
from desktop_app.storage.paths import AppPaths


def test_the_data_folder_is_the_storage_layers_with_and_without_crewdesk_home(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert data_dir() == AppPaths.from_env().data_dir
    monkeypatch.delenv("CREWDESK_HOME")
    assert data_dir() == AppPaths.from_env().data_dir


def test_store_names_are_safe_stable_and_distinct() -> None:
    assert store_key("Research crew / v2") == store_key("Research crew / v2")
    assert store_key("Research crew / v2").startswith("research-crew-v2-")
    assert store_key("a") != store_key("A")
    assert store_key(None, ["Writer", "Write"]) != store_key(None, ["Writer", "Edit"])
    assert store_key("../../etc").startswith("etc-")


def test_crewai_embedder_settings_become_litellm_model_strings() -> None:
    openai = Embedder.from_config(
        {"provider": "openai", "config": {"model": "text-embedding-3-small"}}
    )
    assert openai.model == "openai/text-embedding-3-small"
    google = Embedder.from_config(
        {"provider": "google", "config": {"model": "text-embedding-004", "api_key": "k"}}
    )
    assert (google.model, google.api_key) == ("gemini/text-embedding-004", "k")
    local = Embedder.from_config(
        {
            "provider": "ollama",
            "config": {"model": "nomic-embed-text", "url": "http://localhost:11434"},
        }
    )
    assert (local.model, local.api_base) == ("ollama/nomic-embed-text", "http://localhost:11434")
    with pytest.raises(ValueError, match="needs a model"):
        Embedder.from_config({"provider": "openai"})
