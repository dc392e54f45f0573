"""CrewAI's API on CrewDesk's engine: run CrewAI code unchanged.

One call makes every `from crewai ...` and `from crewai_tools ...` in this process resolve to
CrewDesk (a real CrewAI installed elsewhere is shadowed here only, while installed):

    import desktop_app.compat

    desktop_app.compat.install()

    from crewai import Agent, Crew, Task          # CrewDesk's engine classes
    from crewai.project import CrewBase, agent, crew, task
    from crewai_tools import SerperDevTool

`installed()` does the same for a `with` block. `crewai.Agent` *is*
`desktop_app.engine.Agent`: this package is a thin face of CrewAI's module paths and names over
the engine, not a second engine. What CrewDesk does not offer raises an error that names it and
says what to use instead (see docs/COMPATIBILITY.md).

For the app: `project_configs(...)` makes `@CrewBase` classes use given agent and task configs
instead of their YAML files (unsaved designer edits), and `provenance_of(obj)` tells which
`@agent`/`@task` method built an object and which of its settings came from YAML or from code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from desktop_app.compat._hook import install, is_installed, uninstall
from desktop_app.compat.crewai.project._config import ConfigError, project_configs
from desktop_app.compat.crewai.project._provenance import Provenance, provenance_of


@contextmanager
def installed() -> Iterator[None]:
    """The import hook for the `with` block; the state before it is restored after it."""
    was_installed = is_installed()
    install()
    try:
        yield
    finally:
        if not was_installed:
            uninstall()


__all__ = [
    "ConfigError",
    "Provenance",
    "install",
    "installed",
    "is_installed",
    "project_configs",
    "provenance_of",
    "uninstall",
]
