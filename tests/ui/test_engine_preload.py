"""The app's engine preload: the native LLM client always, litellm only when a provider needs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from desktop_app.storage.paths import AppPaths
from desktop_app.storage.settings import ProviderSettings, Settings
from desktop_app.ui.services import AppServices


@pytest.mark.parametrize(
    ("kinds", "client", "needed"),
    [
        (["simulator", "openai", "ollama", "lm_studio", "groq"], "auto", False),
        (["simulator", "anthropic"], "auto", False),
        (["gemini"], "native", False),
        (["simulator"], "litellm", True),
    ],
)
def test_litellm_is_preloaded_only_when_a_provider_needs_it(
    kinds: list[str], client: str, needed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREWDESK_LLM_CLIENT", client)
    services = AppServices(AppPaths.from_env())
    services.current_settings = Settings(
        providers=[ProviderSettings(id=f"p{i}", kind=kind) for i, kind in enumerate(kinds)]  # type: ignore[arg-type]
    )
    assert services._needs_litellm() is needed


def test_the_preload_without_litellm_leaves_it_unimported() -> None:
    code = ("import sys; from desktop_app.ui.services import preload_engine; "
            "preload_engine(with_litellm=False); print('litellm' in sys.modules, "
            "'desktop_app.engine._openai_protocol' in sys.modules, "
            "'desktop_app.engine._anthropic_protocol' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["False", "True", "True"]
