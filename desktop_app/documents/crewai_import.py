"""Import of CrewAI projects, in either layout, and opening any crew path.

A CrewAI project is found from its root folder, its package or ``config`` folder, its
``agents.yaml``/``tasks.yaml`` files, or its ``crew.jsonc``. Fields CrewDesk does not use are
kept in the document's ``extra`` (and written back on export) and reported once each as an
`ImportNotice`. Nothing is imported half: either the whole crew loads, or a `CrewFileError`
names every problem with its file, line and field. No project code is ever run.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from desktop_app.documents._crewai_classic import ClassicLayout, import_classic
from desktop_app.documents._crewai_jsonc import JsoncLayout, import_jsonc
from desktop_app.documents.crewdesk_file import CREW_FILE_SUFFIX, open_crew_file
from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.loaded import LoadedCrew

_YAML_SUFFIXES = (".yaml", ".yml")
_JSON_SUFFIXES = (".jsonc", ".json")


def import_crewai_project(
    path: Path | str,
    tasks_path: Path | str | None = None,
    *,
    known_tools: Collection[str] | None = None,
) -> LoadedCrew:
    """Imports a CrewAI project as a crew document.

    Args:
        path: The project folder, its ``src/<name>`` or ``config`` folder, its
            ``agents.yaml``, or its ``crew.jsonc``.
        tasks_path: The ``tasks.yaml`` to use with an ``agents.yaml`` given as ``path``
            (by default the one beside it).
        known_tools: Names of the tools CrewDesk has; when given, each other tool is
            reported as a notice.

    Returns:
        The document, the notices of fields kept but not used, and the source of each part.

    Raises:
        CrewFileError: No project is found there, or its files have problems.
    """
    layout = find_crewai_layout(Path(path), None if tasks_path is None else Path(tasks_path))
    if isinstance(layout, JsoncLayout):
        return import_jsonc(layout, known_tools)
    return import_classic(layout, known_tools)


def open_crew(path: Path | str, *, known_tools: Collection[str] | None = None) -> LoadedCrew:
    """Opens a CrewDesk ``.crew.yaml`` file or a CrewAI project, whichever ``path`` is.

    A YAML file other than ``agents.yaml``/``tasks.yaml`` is read as a CrewDesk file.

    Raises:
        CrewFileError: Nothing loadable is there, or it has problems.
    """
    path = Path(path)
    if _is_file_like(path) and (
        path.name.endswith(CREW_FILE_SUFFIX)
        or (path.suffix in _YAML_SUFFIXES and path.stem not in ("agents", "tasks"))
    ):
        return open_crew_file(path)
    if not path.exists():
        raise CrewFileError("no such file or folder", path=path)
    return import_crewai_project(path, known_tools=known_tools)


def find_crewai_layout(path: Path, tasks_path: Path | None = None) -> ClassicLayout | JsoncLayout:
    """Finds the files of the CrewAI project at ``path``.

    Raises:
        CrewFileError: There is no CrewAI project there, or more than one.
    """
    if _is_file_like(path):
        if path.suffix in _JSON_SUFFIXES:
            return JsoncLayout(path, path.parent / "agents", path.parent)
        if path.suffix in _YAML_SUFFIXES and path.stem in ("agents", "tasks"):
            return _classic(path.parent, tasks_path)
        raise CrewFileError(
            "not a CrewAI project file (expected crew.jsonc, agents.yaml or tasks.yaml, "
            f"or a CrewDesk file ending in {CREW_FILE_SUFFIX})",
            path=path,
        )
    if not path.is_dir():
        raise CrewFileError("no such file or folder", path=path)
    for name in ("crew.jsonc", "crew.json"):
        if (path / name).is_file():
            return JsoncLayout(path / name, path / "agents", path)
    for config in (path, path / "config"):
        if _yaml_file(config, "agents") is not None:
            return _classic(config, tasks_path)
    packages = sorted(p.parent for p in path.glob("src/*/config") if _yaml_file(p, "agents"))
    if len(packages) == 1:
        return _classic(packages[0] / "config", tasks_path)
    if packages:
        names = ", ".join(str(package.relative_to(path)) for package in packages)
        raise CrewFileError(f"holds several CrewAI crews ({names}); open one of them", path=path)
    raise CrewFileError(
        "no CrewAI project found here (looked for crew.jsonc, src/<name>/config/agents.yaml, "
        "config/agents.yaml and agents.yaml)",
        path=path,
    )


def _is_file_like(path: Path) -> bool:
    """True for anything there but a folder: a FIFO or a symlink to a device goes on to the
    bounded reader, which names what it is, rather than being reported as missing."""
    return os.path.lexists(path) and not path.is_dir()


def _yaml_file(folder: Path, stem: str) -> Path | None:
    for suffix in _YAML_SUFFIXES:
        candidate = folder / f"{stem}{suffix}"
        if _is_file_like(candidate):
            return candidate
    return None


def _classic(config: Path, tasks_path: Path | None) -> ClassicLayout:
    agents = _yaml_file(config, "agents")
    tasks = tasks_path or _yaml_file(config, "tasks")
    if agents is None:
        raise CrewFileError("no agents.yaml in this folder", path=config)
    if tasks is None:
        raise CrewFileError("no tasks.yaml beside agents.yaml", path=config)
    package = config.parent if config.name == "config" else config
    root = package.parent.parent if package.parent.name == "src" else package
    crew_py = package / "crew.py"
    main_py = package / "main.py"
    return ClassicLayout(
        agents=agents,
        tasks=tasks,
        crew_py=crew_py if crew_py.is_file() else None,
        main_py=main_py if main_py.is_file() else None,
        root=root,
    )
