"""Pointing the toolkit's network tools at the local simulator, for dry runs.

`crewdesk run --simulator` (and tests) wrap a run in `simulated_services(sim.root_url)`: the
search tools then reach the simulator's Serper, Tavily, Exa and Brave endpoints (contract
C7) instead of the real services, so a project that uses them dry-runs offline. Keys are
still the project's (a dry run still says which key is missing, as a real run would);
`stand_in_keys=True` adds keys the simulator accepts. Tools made with an explicit address
(`SerperDevTool(base_url=...)`) keep it. The app's dry runs use `simulated_services_here`
instead: the addresses go with the run's context, not the process's environment, so a real
run beside a dry run still reaches the real services.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from desktop_app.engine._environ import environ_set
from desktop_app.engine.toolkit._http import routed_services

__all__ = ["simulated_services", "simulated_services_here", "simulator_environment"]

_PATHS = {
    "CREWDESK_SERPER_URL": "/serper/search",
    "CREWDESK_TAVILY_URL": "/tavily/search",
    "CREWDESK_EXA_URL": "/exa/search",
    "EXA_BASE_URL": "/exa",
    "CREWDESK_BRAVE_URL": "/brave/res/v1/web/search",
}
_KEYS = ("SERPER_API_KEY", "TAVILY_API_KEY", "EXA_API_KEY", "BRAVE_API_KEY")
SIMULATOR_KEY = "sim-tool-key"
"""The stand-in key the simulator accepts (it checks that a key is sent, not which)."""


def simulator_environment(root_url: str, *, stand_in_keys: bool = False) -> dict[str, str]:
    """The variables that point every search tool at the simulator at `root_url` (and, with
    `stand_in_keys`, give each a key the simulator accepts)."""
    root = root_url.rstrip("/")
    env = {name: root + path for name, path in _PATHS.items()}
    if stand_in_keys:
        env.update(dict.fromkeys(_KEYS, SIMULATOR_KEY))
    return env


@contextmanager
def simulated_services(root_url: str, *, stand_in_keys: bool = False) -> Iterator[None]:
    """Sets `simulator_environment(root_url, stand_in_keys=...)` in this process while the
    block runs, then puts the previous values back (the variables are process-wide: use it
    around a whole dry run, as the CLI does)."""
    with environ_set(simulator_environment(root_url, stand_in_keys=stand_in_keys)):
        yield


@contextmanager
def simulated_services_here(root_url: str) -> Iterator[None]:
    """Points the search tools of the code run inside (this context, and the tasks and
    threads it starts) at the simulator at `root_url`; the environment stays as it is."""
    names = [name for name in _PATHS if name.startswith("CREWDESK_")]
    environment = simulator_environment(root_url)
    with routed_services({name: environment[name] for name in names}):
        yield
