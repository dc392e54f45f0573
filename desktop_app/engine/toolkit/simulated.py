"""Pointing the toolkit's network tools at the local simulator, for dry runs.

`crewdesk run --simulator` (and tests) wrap a run in `simulated_services(sim.root_url)`: the
search tools then reach the simulator's Serper, Tavily, Exa and Brave endpoints (contract
C7) with stand-in keys, so a project that uses them dry-runs offline and never sends a real
key anywhere. Tools made with an explicit address (`SerperDevTool(base_url=...)`) keep it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["simulated_services", "simulator_environment"]

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


def simulator_environment(root_url: str) -> dict[str, str]:
    """The variables that point every search tool at the simulator at `root_url`."""
    root = root_url.rstrip("/")
    env = {name: root + path for name, path in _PATHS.items()}
    env.update(dict.fromkeys(_KEYS, SIMULATOR_KEY))
    return env


@contextmanager
def simulated_services(root_url: str) -> Iterator[None]:
    """Sets `simulator_environment(root_url)` in this process while the block runs, then
    puts the previous values back (the variables are process-wide: use it around a whole
    dry run, as the CLI does)."""
    wanted = simulator_environment(root_url)
    previous = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
