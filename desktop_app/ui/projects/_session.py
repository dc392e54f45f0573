"""`OpenProject`: a CrewAI project open in the app, and `OpenProjects`, the app's list of them.

An open project is shown by the designer (its crew as a document, the fields its code sets
read-only) and run by the dashboard like any crew, under the crew id
``project:<folder>``. The designer keeps `document` current with its (maybe unsaved)
edits, so that a run gets them: a trusted project's crew is then made by its own code with
those values as its YAML configs (`run_for`).

The app's list of open projects is `OpenProjects` (`_registry`, on `AppServices.projects`).
`load_project` does the blocking part of opening (the project's files, and for a trusted
project its code) and is called in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.documents._crewai_jsonc import JsoncLayout
from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.model import CrewDocument, InputSet
from desktop_app.documents.project_crew import (
    ProjectCrew,
    configs_for,
    from_code,
    read_project_crew,
    with_code,
)
from desktop_app.ui.controllers._project_build import ProjectRun
from desktop_app.ui.controllers.run_controller import PROJECT_ID_PREFIX

if TYPE_CHECKING:
    from desktop_app.compat.projects import LoadedProject

__all__ = ["OpenProject", "is_code_free", "load_project", "project_id"]


def project_id(root: Path) -> str:
    """The crew id of the project whose folder is ``root``."""
    return PROJECT_ID_PREFIX + str(root)


@dataclass
class OpenProject:
    """A CrewAI project open in the app.

    Attributes:
        crew: Its crew as its files say, and what its code sets (when trusted).
        project: Its loaded code; None when untrusted, code-free (``crew.jsonc``) or failed.
        document: The crew as the designer shows it now (unsaved edits included).
        error: Why its code could not be loaded (``file:line: message``); "" when it was.
        trusted: The user trusts the folder's code.
    """

    crew: ProjectCrew
    project: LoadedProject | None = None
    document: CrewDocument = field(init=False)
    error: str = ""
    trusted: bool = False

    def __post_init__(self) -> None:
        self.document = self.crew.document

    @property
    def crew_id(self) -> str:
        """``project:<folder>``."""
        return project_id(self.crew.root)

    @property
    def root(self) -> Path:
        """The project's folder."""
        return self.crew.root

    @property
    def runs_code(self) -> bool:
        """Whether its runs are made by the project's own code."""
        return self.project is not None

    def run_for(self, document: CrewDocument | None = None) -> ProjectRun | None:
        """What a run of the project's own crew needs, with ``document``'s values (the
        current one by default); None when its runs are made from the document."""
        if self.project is None:
            return None
        agents, tasks = configs_for(self.crew, document or self.document)
        return ProjectRun(self.project, agents, tasks)


def load_project(path: Path, trusted: bool) -> OpenProject:
    """Reads a project's files and, when trusted, loads its code (blocking).

    A project whose code fails to load still opens (from its files), with the error kept
    in `OpenProject.error` for the views to show.

    Raises:
        CrewFileError: Its files cannot be read as a crew.
        ProjectError: No CrewAI project is there.
    """
    from desktop_app.compat.projects import ProjectError, load, locate

    try:
        crew = read_project_crew(path)
    except CrewFileError:
        if not trusted:
            raise
        return _from_code(path)  # e.g. a task's agent given in code, not in tasks.yaml
    if not trusted or isinstance(crew.layout, JsoncLayout):
        return OpenProject(crew, trusted=trusted)
    try:
        project = load(locate(crew.root))
        crew = with_code(crew, project)
    except ProjectError as exc:
        return OpenProject(crew, error=str(exc), trusted=True)
    return OpenProject(_with_inputs(crew, project.default_inputs), project, trusted=True)


def _from_code(path: Path) -> OpenProject:
    """A trusted project whose files alone are not a complete crew, as its code builds it.

    Raises:
        ProjectError: Its code failed too (then nothing shows the crew).
    """
    from desktop_app.compat.projects import load, locate

    project = load(locate(path))
    crew = with_code(from_code(path, project), project)
    return OpenProject(_with_inputs(crew, project.default_inputs), project, trusted=True)


def _with_inputs(crew: ProjectCrew, values: dict[str, Any]) -> ProjectCrew:
    """The crew with the inputs its own run uses (``main.py``'s, worked out by the project
    loader, ``datetime.now().year`` and the like included) as its first input set."""
    if not values:
        return crew
    document = crew.document
    first = document.input_sets[0] if document.input_sets else InputSet(name="default")
    merged = first.model_copy(update={"values": {**first.values, **values}})
    document = document.model_copy(update={"input_sets": [merged, *document.input_sets[1:]]})
    return replace(crew, loaded=replace(crew.loaded, document=document))


def is_code_free(path: Path) -> bool:
    """Whether the folder is a ``crew.jsonc`` project (no code to trust; blocking)."""
    return any((path / name).is_file() for name in ("crew.jsonc", "crew.json"))
