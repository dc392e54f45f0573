"""What is said before a run starts: which model each crew will use (the panel's badge), and
whether a provider with a key serves it.

A run whose model has no provider and no key would try the provider's own endpoint and fail
seconds later with the provider's refusal; the dashboard asks first instead, offering the
offline simulator or Settings (`ask_without_key`). Keys are only looked up (in a worker
thread), never kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from desktop_app.documents.model import CrewDocument
from desktop_app.storage.secrets import ResolvedSecret, SecretStoreError
from desktop_app.storage.settings import ProviderSettings, Settings
from desktop_app.ui.controllers.crew_factory import provider_kind_of
from desktop_app.ui.widgets.ask import finished

if TYPE_CHECKING:
    from desktop_app.ui.services import AppServices

__all__ = ["SIMULATOR_BADGE", "Choice", "ModelUse", "ask_without_key", "models_of",
           "models_without_key", "provider_ready"]

SIMULATOR_BADGE = "SIMULATOR"
"""The badge of a run served by the offline simulator (a dry run, or the simulator provider)."""

ENGINE_DEFAULT_MODEL = "gpt-4o-mini"
"""The model of an agent with none, when no provider gives one (the engine's default)."""

_KEYED_KINDS = frozenset({"openai", "anthropic", "gemini", "groq"})
"""Provider kinds whose own endpoint refuses a call without a key."""

Choice = Literal["simulator", "settings", "cancel"]


class _Secrets(Protocol):
    async def aresolve(
        self, credential_name: str | None, provider_kind: str
    ) -> ResolvedSecret | None: ...


@dataclass(frozen=True, slots=True)
class ModelUse:
    """Where one agent's model goes in a real run.

    Attributes:
        model: The model string ("openai/gpt-4o-mini").
        provider: The configured provider serving it, or None.
        credential: The keychain entry of its key (the agent's own, else the provider's).
        keyed: Whether the call goes to an endpoint that needs a key.
        simulated: Whether the offline simulator answers it.
    """

    model: str
    provider: ProviderSettings | None
    credential: str | None
    keyed: bool
    simulated: bool


def models_of(document: CrewDocument, settings: Settings) -> list[ModelUse]:
    """Each distinct model the crew's agents (and manager) use, routed as a run routes it
    (`crew_factory`: the first provider of the model's kind, else the default one)."""
    default = settings.provider(settings.default_provider) if settings.default_provider else None
    specs: list[tuple[str | None, str | None, str | None]] = [
        (agent.llm, agent.base_url, agent.credential) for agent in document.agents
    ]
    if document.settings.manager_llm:
        specs.append((document.settings.manager_llm, None, None))
    uses: dict[str, ModelUse] = {}
    for llm, base_url, credential in specs:
        model = llm or (default.default_model if default is not None else None)
        model = model or ENGINE_DEFAULT_MODEL
        kind = provider_kind_of(model)
        provider = next((p for p in settings.providers if p.kind == kind), default)
        served_kind = provider.kind if provider is not None else kind
        url = base_url or (provider.base_url if provider is not None else None)
        uses.setdefault(model, ModelUse(
            model=model,
            provider=provider,
            credential=credential or (provider.credential_name if provider else None),
            keyed=served_kind in _KEYED_KINDS and not url,
            simulated=served_kind == "simulator",
        ))
    return list(uses.values())


async def models_without_key(
    secrets: _Secrets, documents: Sequence[CrewDocument], settings: Settings
) -> list[str]:
    """The models of these crews that would go to a provider's endpoint with no key.

    A keychain that cannot be read counts as holding the key (the run says what failed).
    """
    missing: list[str] = []
    for document in documents:
        for use in models_of(document, settings):
            if not use.keyed or use.model in missing:
                continue
            kind = use.provider.kind if use.provider else provider_kind_of(use.model)
            try:
                found = await secrets.aresolve(use.credential, kind)
            except (SecretStoreError, OSError):
                continue
            if found is None:
                missing.append(use.model)
    return missing


async def ask_without_key(parent: QWidget, crews: Sequence[str], models: Sequence[str]) -> Choice:
    """Says that no provider or key serves these models, before the run, and asks what to do.

    Returns:
        "simulator" to run on the offline simulator, "settings" to add a key, else "cancel".
    """
    names = ", ".join(crews)
    box = QMessageBox(
        QMessageBox.Icon.Warning, "No provider or key set up",
        f"No model provider or API key is set up for {', '.join(models)} "
        f"(used by {names}), so the run would fail.\n\n"
        "Run on the offline simulator (made-up answers, no key, no network), or add a key "
        "in Settings first?",
        QMessageBox.StandardButton.Cancel, parent,
    )
    box.setObjectName("noProviderBox")
    simulator = box.addButton("Run on the simulator", QMessageBox.ButtonRole.AcceptRole)
    add_key = box.addButton("Add a key…", QMessageBox.ButtonRole.ActionRole)
    simulator.setObjectName("runOnSimulator")
    add_key.setObjectName("addKey")
    box.setDefaultButton(simulator)
    await finished(box)
    clicked = box.clickedButton()
    if clicked is simulator:
        return "simulator"
    if clicked is add_key:
        return "settings"
    return "cancel"


async def provider_ready(
    parent: QWidget,
    services: AppServices,
    runs: Sequence[tuple[str | None, CrewDocument]],
    *,
    dry_run: QCheckBox,
    open_settings: Callable[[str], None],
    say: Callable[[str], None],
) -> bool:
    """Before a real run: when a model of these crews (crew id, document) has no provider
    and no key, asks whether to run on the simulator (ticks `dry_run`) or add a key
    (`open_settings` with the provider's id, "" for a new one).

    A trusted project's code may pick its own models; its crew is checked only when no
    provider at all is set up.

    Returns:
        True to start the runs (the dry-run choice may have changed), False not to (said).
    """
    if dry_run.isChecked():
        return True
    settings = services.current_settings
    documents = [document for crew_id, document in runs
                 if not _code_picks_models(services, crew_id)]
    missing = await models_without_key(services.secrets, documents, settings)
    if not missing:
        return True
    names = list(dict.fromkeys(document.name for document in documents))
    choice = await ask_without_key(parent, names, missing)
    if choice == "simulator":
        dry_run.setChecked(True)
        return True
    if choice == "settings":
        kinds = {provider_kind_of(model) for model in missing}
        open_settings(next((p.id for p in settings.providers if p.kind in kinds), ""))
        say("Add the provider and its key in Settings, then Run again.")
    else:
        say(f"Not run: no provider or key is set up for {', '.join(missing)}.")
    return False


def _code_picks_models(services: AppServices, crew_id: str | None) -> bool:
    opened = services.projects.get(crew_id)
    return opened is not None and opened.runs_code and services.has_provider()
