"""Finding a CrewAI project's files in every layout ``crewai create crew`` has made.

- Current template: ``pyproject.toml`` (``[tool.crewai]``, ``[project.scripts] run_crew =
  "pkg.main:run"``), ``src/<pkg>/crew.py``, ``src/<pkg>/main.py``, ``src/<pkg>/config/``.
- Older templates: the same under ``[tool.poetry.scripts]``; a package at the root without
  ``src/``; or ``crew.py`` and ``main.py`` at the root, beside ``config/``.
- The JSON crew template: ``crew.jsonc`` (or ``[tool.crewai] definition = ...``).
- A ``.py`` script or an ``.ipynb`` notebook.
- A Flow project (``crewai create flow``: ``[tool.crewai] type = "flow"``, ``src/<pkg>/main.py``
  with the Flow class; see `_project_flow`).

Only file names are read here (and ``pyproject.toml``); no project code runs.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from desktop_app.compat._project_errors import ProjectError
from desktop_app.compat._project_flow import flow_spec_parts, is_flow_project
from desktop_app.engine.bounded_read import UnsafeFileError, read_text_bounded

ProjectKind = Literal["project", "script", "notebook", "flow"]

_JSON_DEFINITIONS = ("crew.jsonc", "crew.json")

PROJECT_FILE_LIMIT = 10 * 1024 * 1024
"""Largest project file read as text (``pyproject.toml``, ``.env``, a script or notebook)."""


@dataclass(frozen=True)
class ProjectSpec:
    """Where a project is and how it is run.

    Attributes:
        kind: A project folder, a Python script, a notebook or a Flow project.
        root: The project's root folder (a script's or notebook's folder).
        entry: ``crew.py`` (or ``crew.jsonc``) of a project; the script or the notebook; a
            Flow project's ``main.py``.
        name: The project's name (its package, or the file's stem).
        source_dir: The folder put first on ``sys.path`` (``src/`` or the root).
        main_module: The module ``crewai run`` imports (``pkg.main``), when there is one.
        main_function: The function ``crewai run`` calls in it (``run``).
    """

    kind: ProjectKind
    root: Path
    entry: Path
    name: str
    source_dir: Path | None = None
    main_module: str | None = None
    main_function: str = "run"

    @property
    def crew_module(self) -> str | None:
        """The import name of ``crew.py`` (``pkg.crew``, or ``crew`` at the root)."""
        if self.kind != "project" or self.entry.suffix != ".py" or self.source_dir is None:
            return None
        relative = self.entry.relative_to(self.source_dir).with_suffix("")
        return ".".join(relative.parts)

    @property
    def is_json_crew(self) -> bool:
        """True for the JSON crew template (``crew.jsonc``), which has no ``crew.py``."""
        return self.entry.suffix in (".jsonc", ".json")


def locate(path: Path) -> ProjectSpec:
    """Recognises the CrewAI project, script or notebook at ``path``.

    Args:
        path: A project folder (or its ``src/<pkg>`` or ``config`` folder), a ``.py`` script,
            an ``.ipynb`` notebook, or a ``crew.jsonc``.

    Raises:
        ProjectError: Nothing runnable is there, or several crews are and none is chosen.
    """
    path = Path(path).absolute()
    if not path.exists():
        raise ProjectError(path, None, "no such file or folder")
    if path.is_file():
        return _locate_file(path)
    root = _project_root(path)
    return _locate_folder(root)


def _locate_file(path: Path) -> ProjectSpec:
    if path.suffix == ".ipynb":
        return ProjectSpec("notebook", path.parent, path, path.stem, source_dir=path.parent)
    if path.name in _JSON_DEFINITIONS:
        return ProjectSpec("project", path.parent, path, path.parent.name)
    if path.name in ("crew.py", "main.py") and _is_project_file(path):
        return _locate_folder(_project_root(path.parent))
    if path.name == "main.py" and path.parent.parent.name == "src" and is_flow_project(
            _read_pyproject(path.parent.parent.parent)):
        return _locate_folder(path.parent.parent.parent)
    if path.suffix == ".py":
        source = path.parent.parent if path.parent.parent.name == "src" else path.parent
        return ProjectSpec("script", path.parent, path, path.stem, source_dir=source)
    raise ProjectError(path, None, "not a CrewAI project, Python script (.py) or notebook "
                       "(.ipynb)")


def _is_project_file(path: Path) -> bool:
    """True for a project's own ``crew.py``/``main.py``: run as the project, as ``crewai run``
    would (the template's ``main.py`` only defines ``run()``; run as a script it does nothing)."""
    folder = path.parent
    return (folder / "crew.py").is_file() and (
        (folder / "config").is_dir() or (folder / "pyproject.toml").is_file()
        or (folder.parent.name == "src" and (folder.parent.parent / "pyproject.toml").is_file()))


def _project_root(path: Path) -> Path:
    """The root of the project ``path`` is in (its ``src``, ``src/<pkg>`` or ``config``)."""
    if path.name == "src" and (path.parent / "pyproject.toml").is_file():
        return path.parent
    if path.name == "config" and (path.parent / "crew.py").is_file():
        path = path.parent
    if path.parent.name == "src" and (path / "crew.py").is_file():
        return path.parent.parent
    return path


def _locate_folder(root: Path) -> ProjectSpec:
    pyproject = _read_pyproject(root)
    if is_flow_project(pyproject):
        main_py, name, source_dir, module, function = flow_spec_parts(
            root, _run_entry_point(pyproject))
        return ProjectSpec("flow", root, main_py, name, source_dir, module, function)
    definition = _json_definition(root, pyproject)
    if definition is not None:
        return ProjectSpec("project", root, definition, root.name)
    entry = _run_entry_point(pyproject)
    crews = _crew_files(root)
    if entry is not None:
        package = entry[0].split(".")[0]
        chosen = [crew for crew in crews if crew.parent.name == package]
        crews = chosen or crews
    if not crews and (root / "main.py").is_file():  # crewAI-examples: main.py makes the crew
        return ProjectSpec("script", root, root / "main.py", root.name, source_dir=root)
    if not crews:
        raise ProjectError(root, None, "no CrewAI project found here (looked for "
                           "src/<name>/crew.py, <name>/crew.py, crew.py, crew.jsonc and main.py)")
    if len(crews) > 1:
        names = ", ".join(str(crew.relative_to(root)) for crew in crews)
        raise ProjectError(root, None, f"holds several crews ({names}); run one of their folders")
    return _spec_for(root, crews[0], entry)


def _spec_for(root: Path, crew_py: Path, entry: tuple[str, str] | None) -> ProjectSpec:
    package = crew_py.parent
    source_dir = root if package == root else package.parent
    name = root.name if package == root else package.name
    if entry is not None and any(_module_file(base, entry[0]) for base in (source_dir, root)):
        return ProjectSpec("project", root, crew_py, name, source_dir, entry[0], entry[1])
    for main in (package / "main.py", root / "main.py"):
        if main.is_file():
            base = source_dir if main.is_relative_to(source_dir) else root
            module = ".".join(main.relative_to(base).with_suffix("").parts)
            return ProjectSpec("project", root, crew_py, name, source_dir, module)
    return ProjectSpec("project", root, crew_py, name, source_dir)


def _module_file(base: Path, module: str) -> bool:
    return (base / Path(*module.split("."))).with_suffix(".py").is_file()


def _crew_files(root: Path) -> list[Path]:
    """``crew.py`` files of the layouts, in order: src/<pkg>, <pkg>, the root."""
    for pattern in ("src/*/crew.py", "*/crew.py", "crew.py"):
        found = sorted(p for p in root.glob(pattern) if _is_crew_package(p.parent, root))
        if found:
            return found
    return []


def _is_crew_package(folder: Path, root: Path) -> bool:
    """A folder with ``crew.py`` that is a crew (its ``config/`` or a ``main.py`` near it)."""
    return (
        (folder / "config").is_dir()
        or (folder / "main.py").is_file()
        or (root / "main.py").is_file()
        or folder == root
    )


def _read_pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not os.path.lexists(path):  # a FIFO or a link to a device is refused by read_project_text
        return {}
    try:
        return tomllib.loads(read_project_text(path))
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise ProjectError(path, line if isinstance(line, int) else None,
                           f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ProjectError(path, None, "not valid TOML: nested too deeply") from None


def read_project_text(path: Path, what: str = "project file") -> str:
    """Reads a project's text file through the bounded reader (see `engine.bounded_read`).

    Raises:
        ProjectError: It is a special file (FIFO, device, folder), too large, missing,
            unreadable or not UTF-8; the message names the file and why.
    """
    try:
        return read_text_bounded(path, limit=PROJECT_FILE_LIMIT, what=what)
    except UnsafeFileError as exc:
        raise ProjectError(path, None, exc.reason) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(path, None, f"cannot read: {exc}") from None


def _json_definition(root: Path, pyproject: dict[str, Any]) -> Path | None:
    tool = pyproject.get("tool", {})
    crewai = tool.get("crewai", {}) if isinstance(tool, dict) else {}
    named = crewai.get("definition") if isinstance(crewai, dict) else None
    if isinstance(named, str) and (root / named).is_file():
        return root / named
    for name in _JSON_DEFINITIONS:
        if (root / name).is_file():
            return root / name
    return None


def _run_entry_point(pyproject: dict[str, Any]) -> tuple[str, str] | None:
    """``("pkg.main", "run")`` of the script ``crewai run`` would run (PEP 621 or Poetry).

    ``run_crew`` first (the template's), then ``run``, then any script calling a ``run``.
    """
    tool = pyproject.get("tool", {})
    poetry = tool.get("poetry", {}) if isinstance(tool, dict) else {}
    project = pyproject.get("project", {})
    scripts: dict[str, Any] = {}
    for table in (poetry.get("scripts") if isinstance(poetry, dict) else None,
                  project.get("scripts") if isinstance(project, dict) else None):
        if isinstance(table, dict):
            scripts.update(table)
    targets = [value.strip() for value in scripts.values()
               if isinstance(value, str) and ":" in value]
    named = [scripts.get(name) for name in ("run_crew", "run")]
    chosen = next((value for value in named if isinstance(value, str) and ":" in value), None)
    chosen = chosen or next((t for t in targets if t.endswith(":run")), None)
    chosen = chosen or (targets[0] if targets else None)
    if chosen is None:
        return None
    module, _, function = chosen.partition(":")
    return module.strip(), function.strip()
