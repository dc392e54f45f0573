"""Which model, address and key the agents of ``crewdesk run`` use.

``--simulator`` starts the built-in LLM simulator and points every agent at it (and the search
tools at its fake services); ``--model``/``--base-url`` force a model or an address on every
agent. A crew file's agents that name a credential take their key from CrewDesk's secret
store (`stored_keys`); a project's code builds its own LLMs, so for it the target is forced
process-wide (`project_target`). When a provider refuses a key, `key_hint` says where to fix it.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from desktop_app._cli_errors import UsageError
from desktop_app.engine._environ import environ_set

if TYPE_CHECKING:
    from desktop_app.documents import CrewDocument

__all__ = [
    "SIMULATOR_API_KEY",
    "SIMULATOR_MODEL",
    "key_hint",
    "llm_target",
    "project_target",
    "refused_key_provider",
    "stored_keys",
]

SIMULATOR_MODEL = "openai/sim"
SIMULATOR_API_KEY = "sk-simulator"


@contextlib.contextmanager
def llm_target(args: argparse.Namespace) -> Iterator[tuple[str | None, str | None, str | None]]:
    """Yields the model, base URL and API key to force on every agent (None: leave it).

    Raises:
        UsageError: ``--simulator`` with ``--base-url``.
    """
    if not args.simulator:
        yield args.model, args.base_url, None
        return
    if args.base_url is not None:
        raise UsageError("--simulator and --base-url cannot be used together")
    from desktop_app.engine.toolkit.simulated import simulated_services
    from desktop_app.simulator import SimulatorConfig, SimulatorThread

    # A dry run: the search tools (Serper, Tavily, Exa, Brave) ask the simulator too.
    with SimulatorThread(SimulatorConfig()) as sim, simulated_services(sim.root_url):
        yield args.model or SIMULATOR_MODEL, sim.base_url, SIMULATOR_API_KEY


def stored_keys(document: CrewDocument) -> dict[str, str]:
    """Keys of the agents that name a credential, from the secret store (else environment).

    Read before the event loop starts, since keychain calls may block.
    """
    named = [agent for agent in document.agents if agent.credential]
    if not named:
        return {}
    from desktop_app.storage.secrets import SecretStore

    store = SecretStore()
    keys: dict[str, str] = {}
    for agent in named:
        provider = (agent.llm or "openai").split("/", 1)[0]
        found = store.resolve(agent.credential, provider)
        if found is not None:
            keys[agent.key] = found.value
    from desktop_app.engine import register_secrets

    register_secrets(keys.values())  # masked in every line and --output file
    return keys


def refused_key_provider(exc: BaseException) -> str | None:
    """The provider that refused the key, when `exc` is an auth failure (else None)."""
    from desktop_app.engine import LLMError, TaskExecutionError

    cause = exc.cause if isinstance(exc, TaskExecutionError) else exc
    return cause.provider if isinstance(cause, LLMError) and cause.kind == "auth" else None


def key_hint(provider: str) -> str:
    """Where to fix a refused key: CrewDesk's Settings, or the provider's variable."""
    from desktop_app.storage.secrets import PROVIDER_ENV_VARS

    variables = " or ".join(PROVIDER_ENV_VARS.get(provider, ()))
    other = f"the environment variable {variables}" if variables else "the provider's variable"
    return (f"hint: the key for {provider} was refused. Agents that name a credential take "
            "their key from CrewDesk's keychain: run `crewdesk`, open Settings, pick the "
            f"provider and check its key. Other agents use {other}.")


def _store_key(name: str) -> str | None:
    """A tool's key from CrewDesk's secret store (the environment is asked first by C4)."""
    from desktop_app.storage.secrets import SecretStore, SecretStoreError

    try:
        return SecretStore().get(name)
    except (SecretStoreError, ValueError):
        return None


@contextlib.contextmanager
def project_target(args: argparse.Namespace) -> Iterator[None]:
    """Points every LLM of the project's code at ``--simulator``/``--model``/``--base-url``.

    Project agents build their own LLMs (``LLM("gpt-4o")``), so the target is forced
    process-wide (C3), and the variables code reads (``OPENAI_API_KEY``, ``MODEL`` ...) are
    set while it runs (and, through `llm_target`, the search tools' addresses). Tool keys
    come from the environment, then the secret store (C4).
    """
    from desktop_app.engine.llm import force_llm_target
    from desktop_app.engine.toolkit import _keys

    with llm_target(args) as (model, base_url, api_key):
        values: dict[str, str] = {}
        if args.simulator and model and base_url and api_key:
            values = {"OPENAI_API_KEY": api_key, "OPENAI_BASE_URL": base_url,
                      "OPENAI_API_BASE": base_url, "MODEL": model}
        forced = (force_llm_target(model, base_url, api_key) if model or base_url
                  else contextlib.nullcontext())
        previous = _keys._source  # put back after (the app may have installed its own)
        _keys.set_key_source(_store_key)
        try:
            with environ_set(values), forced:
                yield
        finally:
            _keys.set_key_source(previous)
