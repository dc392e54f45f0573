"""Building a CrewAI project's own crew for one app run, and routing its models.

A trusted project's crew is made by its own code (`LoadedProject.build_crew()`), with the
designer's current agent and task values given as its YAML configs (`project_configs`), so a
run uses unsaved edits. Its agents name their models in code or YAML (``LLM("gpt-4o")``,
``llm: openai/gpt-4o``); the run then points each model at the provider that serves it, as
for a crew document: the key from the secret store (never from a file), the provider's base
URL, the default provider's model for an agent that names none. A dry run, or the offline
simulator as default provider, sends every model of the crew to the simulator instead.

A relative ``output_file`` is made relative to the project's folder, as under ``crewai run``
(the app's working folder is not the project's).

Everything here blocks (project code, the keychain): the factory calls it in a worker thread.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.engine.errors import IgnoredSettingWarning
from desktop_app.engine.llm import LLM

if TYPE_CHECKING:
    from desktop_app.compat.projects import LoadedProject
    from desktop_app.engine import Crew

__all__ = ["ModelRoute", "ProjectRun", "build_project_crew", "route_models"]


@dataclass(frozen=True)
class ProjectRun:
    """What a run of a project's own crew needs.

    Attributes:
        project: The project, its code loaded.
        agents: ``agents.yaml`` as a mapping, the designer's edits laid over it.
        tasks: ``tasks.yaml`` likewise.
    """

    project: LoadedProject
    agents: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelRoute:
    """Where a model goes.

    Attributes:
        model: The model string to use.
        base_url: The endpoint (None: the model's own).
        api_key: The key (None: the model's own, else its provider's environment variable).
        force: Replace the endpoint and key the project's code gave (a dry run); otherwise
            they only fill what the code left unset.
    """

    model: str
    base_url: str | None
    api_key: str | None
    force: bool = False


def build_project_crew(run: ProjectRun) -> Crew:
    """A fresh crew from the project's ``@CrewBase`` class, with the run's configs (blocking).

    Settings the engine ignores warn while the crew is made; they are not lost: every run
    reports them as `SettingIgnored` events in its panel and history.

    Raises:
        ProjectError: The project's code failed (file:line: message).
    """
    from desktop_app.compat import project_configs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredSettingWarning)
        with project_configs(run.agents or None, run.tasks or None):
            crew = run.project.build_crew()
    _anchor_output_files(crew, run.project.spec.root)
    return crew


def _anchor_output_files(crew: Crew, root: Path) -> None:
    for task in crew.tasks:
        output_file = task.output_file
        if output_file and not Path(output_file).is_absolute():
            task.output_file = str(root / output_file)


def _llms(crew: Crew) -> Iterator[tuple[object, str, LLM | None]]:
    """Every model slot of the crew: (owner, attribute, current value)."""
    for name in ("manager_llm", "planning_llm", "function_calling_llm"):
        yield crew, name, getattr(crew, name)
    agents = list(crew.agents)
    if crew.manager_agent is not None:
        agents.append(crew.manager_agent)
    for agent in agents:
        yield agent, "llm", agent.llm
        yield agent, "function_calling_llm", agent.function_calling_llm


def route_models(crew: Crew, route: Callable[[str | None], ModelRoute | None]) -> None:
    """Points every model of the crew where ``route`` says (blocking: it may ask the keychain).

    Args:
        crew: The crew, as the project's code made it.
        route: Model string (None: the agent names none) -> where it goes; None leaves the
            model as it is. Asked for every agent's model and the crew's set models.
    """
    for owner, attribute, llm in _llms(crew):
        if (llm is None and attribute != "llm") or (llm is not None and not isinstance(llm, LLM)):
            continue  # unset, or the project's own model class: it calls what it calls
        target = route(llm.model if llm is not None else None)
        if target is None:
            continue
        if llm is None:
            setattr(owner, attribute, LLM(model=target.model, base_url=target.base_url,
                                          api_key=target.api_key))
            continue
        llm.model = target.model
        if target.base_url is not None and (target.force or llm.base_url is None):
            llm.base_url = target.base_url
        if target.api_key is not None and (target.force or llm.api_key is None):
            llm.api_key = target.api_key
