"""Turning a crew document into an engine `Crew` for one run, with keys from the keychain.

Keys never come from the document: each agent's key is resolved through the secret store
(its own credential, else the configured provider of its model's kind, else the provider's
environment variable). Resolving may block on the keychain, so the whole build runs in a
worker thread. A dry run points every agent (and the crew's embedder) at the built-in offline
simulator. A crew's memory and knowledge stores live in the app's data folder, and its
relative knowledge paths start from its crew file's folder.

The keys used are returned with the crew, so that the controller can scrub them from any
error message before it is shown or stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.documents.build import (
    EMBEDDER_KEY,
    build_crew,
    override_llm,
    with_manager_llm_spec,
)
from desktop_app.documents.model import AgentSpec, CrewDocument
from desktop_app.storage.mcp_servers import server_specs_blocking
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import ProviderSettings, Settings
from desktop_app.ui.controllers._project_build import (
    ModelRoute,
    ProjectRun,
    build_project_crew,
    route_models,
)
from desktop_app.ui.projects._trust import trust_key

if TYPE_CHECKING:
    from desktop_app.engine import Crew
    from desktop_app.ui.services import AppServices

__all__ = ["BuiltCrew", "CrewFactory", "provider_kind_of"]

SIMULATOR_KEY = "crewdesk-simulator"
"""The key sent to the offline simulator, which accepts any key."""

_KIND_BY_PREFIX = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "groq": "groq",
    "ollama": "ollama",
    "ollama_chat": "ollama",
    "lm_studio": "lm_studio",
}


def provider_kind_of(model: str) -> str:
    """The provider kind of a litellm model string ("anthropic/claude..." -> "anthropic").

    A model without a prefix is OpenAI's, as litellm reads it.
    """
    if "/" not in model:
        return "openai"
    return _KIND_BY_PREFIX.get(model.split("/", 1)[0], "openai_compatible")


@dataclass(slots=True)
class BuiltCrew:
    """A crew ready to run, the keys it carries (to scrub from messages), and who serves it.

    Attributes:
        crew: The engine crew.
        secrets: Every API key given to its agents.
        providers: The configured provider serving each model string of the crew (so that a
            refused key can be traced to the provider whose settings hold it).
        simulator_root: In a dry run, the simulator's address: the run's search tools go
            there too (`simulated_services_here`), so a dry run reaches no real service.
    """

    crew: Crew
    secrets: list[str] = field(default_factory=list)
    providers: dict[str, ProviderSettings] = field(default_factory=dict)
    simulator_root: str | None = None

    def __post_init__(self) -> None:
        """Registers its keys with the engine: masked in every tool output, error and event
        of any run (the run's panel and history keep those)."""
        from desktop_app.engine import register_secrets

        register_secrets(self.secrets)

    def provider_of(self, model: str) -> ProviderSettings | None:
        """The configured provider that serves `model`, if one does."""
        return self.providers.get(model)


class CrewFactory:
    """Builds engine crews from documents with the app's settings and secret store."""

    def __init__(self, services: AppServices) -> None:
        """Creates a factory.

        Args:
            services: Where settings, keys and the offline simulator come from.
        """
        self._services = services

    async def build(
        self, document: CrewDocument, *, dry_run: bool = False, base_dir: Path | None = None
    ) -> BuiltCrew:
        """Builds a crew for one run.

        Args:
            document: The crew.
            dry_run: Run every agent on the offline simulator.
            base_dir: The folder its relative knowledge paths start from (its file's).

        Raises:
            CrewFileError: The document cannot be run (problems, unknown tools, missing
                knowledge files ...).
        """
        settings = self._services.current_settings
        data_dir = self._services.paths.data_dir
        default = _default_provider(settings)
        if dry_run or (default is not None and default.kind == "simulator"):
            base_url = await self._services.simulator.base_url()
            model = default.default_model if default and default.kind == "simulator" else ""
            from desktop_app.ui.services import SIMULATOR_MODEL

            routed = override_llm(document, model=model or SIMULATOR_MODEL, base_url=base_url,
                                  embedding_model="sim")
            crew = await asyncio.to_thread(
                partial(build_crew, routed, resolve_api_key=lambda _spec: SIMULATOR_KEY,
                        base_dir=base_dir, memory_dir=data_dir,
                        trust_project_tools=trusts_tools_in(settings, base_dir))
            )
            return BuiltCrew(crew, simulator_root=_root_of(base_url))
        secrets = self._services.secrets
        return await asyncio.to_thread(
            _build_with_keys, document, settings, secrets, base_dir, data_dir
        )


    async def build_project(self, run: ProjectRun, *, dry_run: bool = False) -> BuiltCrew:
        """Builds a CrewAI project's own crew for one run (its code runs in a worker thread).

        Args:
            run: The project and its agent and task configs (unsaved edits included).
            dry_run: Send every model of the crew to the offline simulator.

        Raises:
            ProjectError: The project's code failed (file:line: message).
        """
        settings = self._services.current_settings
        default = _default_provider(settings)
        if dry_run or (default is not None and default.kind == "simulator"):
            base_url = await self._services.simulator.base_url()
            model = default.default_model if default and default.kind == "simulator" else ""
            from desktop_app.ui.services import SIMULATOR_MODEL

            target = ModelRoute(model or SIMULATOR_MODEL, base_url, SIMULATOR_KEY, force=True)

            def build() -> Crew:
                crew = build_project_crew(run)
                route_models(crew, lambda _model: target)
                return crew

            return BuiltCrew(await asyncio.to_thread(build), simulator_root=_root_of(base_url))
        return await asyncio.to_thread(
            _build_project_with_keys, run, settings, self._services.secrets
        )


def _build_project_with_keys(run: ProjectRun, settings: Settings, store: SecretStore) -> BuiltCrew:
    """A project's crew with each model sent to the provider that serves it, with its key."""
    crew = build_project_crew(run)
    used: list[str] = []
    by_model: dict[str, ProviderSettings] = {}

    def route(model: str | None) -> ModelRoute | None:
        spec = AgentSpec(key="project", role="-", goal="-", backstory="-", llm=model)
        routed, provider = _route(spec, settings)
        if not routed.llm:
            return None  # no model anywhere: the engine's default, as CrewAI's
        kind = provider.kind if provider else provider_kind_of(routed.llm)
        found = store.resolve(provider.credential_name if provider else None, kind)
        if found is not None:
            used.append(found.value)
        if provider is not None:
            by_model.setdefault(routed.llm, provider)
        return ModelRoute(routed.llm, routed.base_url, found.value if found else None)

    route_models(crew, route)
    return BuiltCrew(crew, used, by_model)


def trusts_tools_in(settings: Settings, base_dir: Path | None) -> bool:
    """Whether the user trusts the code in the crew's folder (``Settings.project_trust``,
    set when a project was opened trusted or from the tool picker), so that its ``project:``
    tools may run."""
    return base_dir is not None and settings.project_trust.get(trust_key(base_dir), False)


def _root_of(base_url: str) -> str:
    """The simulator's root address from its OpenAI base URL (``.../v1``)."""
    return base_url.rstrip("/").removesuffix("/v1")


def _default_provider(settings: Settings) -> ProviderSettings | None:
    if settings.default_provider is not None:
        return settings.provider(settings.default_provider)
    return None


def _build_with_keys(
    document: CrewDocument,
    settings: Settings,
    store: SecretStore,
    base_dir: Path | None,
    data_dir: Path,
) -> BuiltCrew:
    """Routes each agent (and a hierarchical crew's manager_llm) to a configured provider,
    then builds the crew with their keys (the embedder's too: by its model's provider)."""
    document = with_manager_llm_spec(document)
    providers: dict[str, ProviderSettings | None] = {}
    by_model: dict[str, ProviderSettings] = {}
    agents = []
    for spec in document.agents:
        routed, provider = _route(spec, settings)
        providers[routed.key] = provider
        if provider is not None and routed.llm:
            by_model.setdefault(routed.llm, provider)
        agents.append(routed)
    document = document.model_copy(update={"agents": agents})
    document, providers[EMBEDDER_KEY] = _route_embedder(document, settings)
    used: list[str] = []

    def resolve(spec: AgentSpec) -> str | None:
        provider = providers.get(spec.key)
        kind = provider.kind if provider else provider_kind_of(spec.llm or "")
        credential = spec.credential or (provider.credential_name if provider else None)
        found = store.resolve(credential, kind)
        if found is None:
            return None
        used.append(found.value)
        return found.value

    crew = build_crew(document, resolve_api_key=resolve, base_dir=base_dir, memory_dir=data_dir,
                      trust_project_tools=trusts_tools_in(settings, base_dir),
                      mcp_servers=server_specs_blocking(settings, store))
    return BuiltCrew(crew, used, by_model)


def _route_embedder(
    document: CrewDocument, settings: Settings
) -> tuple[CrewDocument, ProviderSettings | None]:
    """The crew's embedder sent to the provider that serves its model (its base URL), and
    that provider (whose key `build_crew` is given for it)."""
    embedder = document.settings.embedder
    if embedder is None:
        return document, None
    from desktop_app.engine import Embedder

    try:
        model = Embedder.from_config(embedder).model
    except ValueError:  # no model: build_crew names the problem
        return document, None
    spec = AgentSpec(key=EMBEDDER_KEY, role="Embedder", goal="Embed", backstory="-", llm=model)
    _routed, provider = _route(spec, settings)
    config = dict(embedder.get("config") or {})
    if provider is None or not provider.base_url or any(
        config.get(name) for name in ("api_base", "base_url", "url")
    ):
        return document, provider
    config["api_base"] = provider.base_url
    routed = document.settings.model_copy(update={"embedder": {**embedder, "config": config}})
    return document.model_copy(update={"settings": routed}), provider


def _route(spec: AgentSpec, settings: Settings) -> tuple[AgentSpec, ProviderSettings | None]:
    """The agent with its model and base URL filled from the provider that serves it.

    The provider is the first configured one of the model's kind, else the default one.
    """
    default = _default_provider(settings)
    model = spec.llm or (default.default_model if default is not None else None)
    if not model:
        return spec, default
    kind = provider_kind_of(model)
    provider = next((p for p in settings.providers if p.kind == kind), default)
    base_url = spec.base_url or (provider.base_url if provider is not None else None)
    return spec.model_copy(update={"llm": model, "base_url": base_url}), provider
