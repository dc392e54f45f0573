"""CrewAI projects, scripts and notebooks, run as they are on CrewDesk's engine (contract C6).

    spec = locate(Path("my_crew"))          # which layout, where its files are
    project = load(spec)                    # runs crew.py under the import hook
    crew = project.build_crew()             # a fresh Crew from its @CrewBase class
    project.run_entry()                     # what `crewai run` does: my_crew.main.run()

Loading and running execute the project's own code, with every ``crewai``/``crewai_tools``
import resolved to CrewDesk (the hook is installed while it runs and removed after), the
project's ``.env`` loaded without overriding variables already set, its ``src/`` first on
``sys.path`` and the working folder at its root, as ``crewai run`` does. Everything is blocking;
the app calls it through ``asyncio.to_thread``.

Whatever goes wrong is a `ProjectError` naming the project's file and line (a syntax error, a
missing module or tool, a tool whose key is nowhere, an exception in its code), never a
traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from desktop_app.compat import _project_crew as crew_code
from desktop_app.compat._project_env import load_env_file, project_process_state
from desktop_app.compat._project_errors import ProjectError, ProjectWarning, from_exception
from desktop_app.compat._project_flow import flow_class, flow_setup_code, kickoff_to_end
from desktop_app.compat._project_locate import ProjectSpec, locate
from desktop_app.compat._project_source import Program, execute, read_program
from desktop_app.compat._script_keys import check_script_tool_keys

if TYPE_CHECKING:
    from desktop_app.engine import Crew

__all__ = [
    "LoadedProject",
    "ProjectError",
    "ProjectSpec",
    "ProjectWarning",
    "change_working_folder",
    "keep_hook_installed",
    "load",
    "locate",
]

_SCRIPT_MODULE = "__crewdesk_script__"
_PROCESS_STATE = threading.RLock()
"""Held while a project's code runs: the working folder, ``sys.path`` and hook are shared."""


def change_working_folder(folder: Path) -> None:
    """Makes `folder` the process's working folder, once no project code is being loaded or
    built (blocking: it waits for the project state's lock, so call it in a worker thread).

    The app keeps a running project's folder as the working folder, so files its code writes
    by relative paths (a callback's log) land in the project, as under ``crewai run``.
    """
    with _PROCESS_STATE:
        os.chdir(folder)


def keep_hook_installed() -> None:
    """Installs the import hook for the rest of the process, once no project code is being
    loaded (blocking: call it in a worker thread).

    A Flow's steps run project code long after it was loaded, and some import ``crewai``
    inside a step (or a module that does); the app keeps the hook from its first flow run on
    (it holds no real CrewAI to set aside). Taken under the project state's lock, so no
    `activated()` block that began without the hook removes it when it ends.
    """
    from desktop_app.compat import install

    with _PROCESS_STATE:
        install()


class LoadedProject:
    """A project whose code has been loaded: it builds fresh crews and runs its entry.

    Attributes:
        spec: Where the project is.
        agents_yaml: Its ``agents.yaml`` (None for scripts, notebooks and JSON crews).
        tasks_yaml: Its ``tasks.yaml``.
        default_inputs: The inputs its own run uses (``main.py``'s, or the JSON crew's).
    """

    def __init__(self, spec: ProjectSpec) -> None:
        self.spec = spec
        self.agents_yaml: Path | None = None
        self.tasks_yaml: Path | None = None
        self.default_inputs: dict[str, Any] = {}
        self._crew_class: type | None = None
        self._crew_module: str | None = None
        self._crew_method = "crew"
        self._program: Program | None = None
        self._json_loader: Callable[[Path], tuple[Crew, dict[str, Any]]] | None = None
        self._depth = 0

    def __repr__(self) -> str:
        return f"LoadedProject({self.spec.kind} {self.spec.entry})"

    @contextlib.contextmanager
    def activated(self) -> Iterator[None]:
        """The project's process state (hook, ``sys.path``, working folder) for a block.

        Re-entrant; crews built here and run later should run inside it too, so that their
        relative ``output_file`` paths land in the project as under ``crewai run``. The state
        is the process's, so one thread at a time holds it (the app builds crews of several
        runs in worker threads at once): others wait for it.
        """
        with _PROCESS_STATE:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            spec = self.spec
            folders = [folder for folder in (spec.source_dir, spec.root) if folder is not None]
            with project_process_state(list(dict.fromkeys(folders)), spec.root):
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0

    def build_crew(self) -> Crew:
        """A fresh crew: a new instance of the ``@CrewBase`` class, its ``@crew`` method called.

        For a JSON crew, its definition loaded; for a script or notebook, the program run up to
        its first top-level ``kickoff`` as a module that is not ``__main__`` (so code under
        ``if __name__ == "__main__":`` does not run either), and its crew taken.

        Raises:
            ProjectError: The project's code failed, or there is no crew to build.
        """
        if self.spec.kind == "flow":
            raise ProjectError(self.spec.entry, None, "a Flow project has no single crew to "
                               "build: run the project (its flow kicks its crews off)")
        with self.activated():
            if self._json_loader is not None:
                crew, self.default_inputs = self._json_loader(self.spec.entry)
                return crew
            if self._program is not None:
                return self._script_crew(self._program)
            if self._crew_module is not None:
                return self._module_crew(self._crew_module)
            assert self._crew_class is not None
            return self._new_crew(self._crew_class, self._crew_method, self.spec.entry)

    def _new_crew(self, cls: type, method: str, path: Path) -> Crew:
        made = self._call(lambda: getattr(cls(), method)(), path)
        if not crew_code.is_crew(made):
            raise ProjectError(path, None, f"{cls.__name__}.{method}() returned "
                               f"{type(made).__name__}, not a Crew")
        return cast("Crew", made)

    def run_entry(self) -> object:
        """Does what ``crewai run`` does, or runs the script or notebook as ``__main__``.

        For a script or notebook: checks the keys its tools need, read from its source (see
        `_script_keys`). For a project: checks the keys its crew's tools need, then imports its ``main``
        module and calls ``run()``; without a ``main.py`` (or a ``run`` in it), kicks its
        crew off with the inputs ``main.py`` holds.

        Returns:
            What the entry returned (``run()``'s value, or the crew's output).

        Raises:
            ProjectError: The project's code failed (a crew's own failure included).
        """
        with self.activated(), _argv([str(self.spec.entry)]):
            if self._program is not None:
                check_script_tool_keys(self._program)
                execute(self._program, "__main__", self.spec.root)
                return None
            if self.spec.kind == "flow":
                return self.run_flow(None)
            crew = self.build_crew()
            crew_code.check_tool_keys(crew, self.spec.entry)
            entry = self._main_function()
            if entry is None:
                return self._call(lambda: crew.kickoff(inputs=self.default_inputs),
                                  self.spec.entry)
            function, main_py = entry
            return self._call(function, main_py)

    def run_flow(self, inputs: dict[str, Any] | None) -> object:
        """Runs a Flow project: its ``kickoff()`` function, or, given ``inputs`` (or when
        ``main.py`` has no such function), ``kickoff(inputs=...)`` of its Flow class. A script
        or notebook: its Flow class's ``kickoff(inputs=...)``, its own top-level kickoffs
        left out.

        Raises:
            ProjectError: The project's code failed (a step's error included).
        """
        with self.activated(), _argv([str(self.spec.entry)]):
            if self._program is not None:  # a script or notebook that defines a Flow
                program = self._program
                namespace = execute(program, _SCRIPT_MODULE, self.spec.root,
                                    flow_setup_code(program.source, program.path))
                made = flow_class(namespace, _SCRIPT_MODULE, program.path)
                return self._call(lambda: kickoff_to_end(made(), inputs), program.path)
            module_name, main_py = self.spec.main_module or "main", self.spec.entry
            module = self._call(lambda: importlib.import_module(module_name), main_py)
            function = getattr(module, self.spec.main_function, None)
            if inputs is None and callable(function):
                return self._call(function, main_py)
            cls = flow_class(vars(module), module.__name__, main_py)
            return self._call(lambda: kickoff_to_end(cls(), inputs), main_py)

    def flow_class(self) -> type:
        """The Flow class of a Flow project's ``main.py`` (its module imported under the
        project's process state; blocking: call it in a worker thread). The app makes its
        own instance of it and follows the run's events (`Flow.run_events`).

        Raises:
            ProjectError: The project's code failed, or it defines no Flow class.
        """
        with self.activated(), _argv([str(self.spec.entry)]):
            module_name, main_py = self.spec.main_module or "main", self.spec.entry
            module = self._call(lambda: importlib.import_module(module_name), main_py)
            return flow_class(vars(module), module.__name__, main_py)

    def _call(self, function: Callable[[], Any], fallback: Path) -> Any:
        try:
            return function()
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the project's errors become ProjectError
            raise from_exception(exc, self.spec.root, fallback) from exc

    def _main_function(self) -> tuple[Callable[[], Any], Path] | None:
        module_name = self.spec.main_module
        if module_name is None or self.spec.source_dir is None:
            return None
        main_py = self._module_path(module_name)
        module = self._call(lambda: importlib.import_module(module_name), main_py)
        function = getattr(module, self.spec.main_function, None)
        if not callable(function):
            self.default_inputs = crew_code.main_inputs(main_py)
            return None
        return function, main_py

    def _module_path(self, module_name: str) -> Path:
        relative = Path(*module_name.split(".")).with_suffix(".py")
        for base in (self.spec.source_dir, self.spec.root):
            if base is not None and (base / relative).is_file():
                return base / relative
        return self.spec.entry

    def _module_crew(self, module_name: str) -> Crew:
        """The last Crew a ``crew.py`` makes at its top level, made afresh (the module is
        run again, so each build has its own agents and tasks)."""
        module = self._call(lambda: importlib.reload(sys.modules[module_name])
                            if module_name in sys.modules
                            else importlib.import_module(module_name), self.spec.entry)
        crews = [value for value in vars(module).values() if crew_code.is_crew(value)]
        return cast("Crew", crews[-1])

    def _script_crew(self, program: Program) -> Crew:
        namespace = execute(program, _SCRIPT_MODULE, self.spec.root, program.setup_code())
        classes = crew_code.crew_classes(namespace, _SCRIPT_MODULE)
        if classes:
            method = crew_code.crew_method(classes[0], program.path)
            return self._new_crew(classes[0], method, program.path)
        crews = [value for value in namespace.values() if crew_code.is_crew(value)]
        if not crews:
            raise ProjectError(program.path, None, "defines no crew to build (no @CrewBase "
                               "class and no Crew at the top level); run it without inputs")
        return cast("Crew", crews[-1])


@contextlib.contextmanager
def _argv(argv: list[str]) -> Iterator[None]:
    previous = sys.argv
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = previous


def load(spec: ProjectSpec) -> LoadedProject:
    """Loads a project: its ``.env``, then its ``crew.py`` under the import hook.

    A script or notebook is read and compiled only (running it is its entry); a JSON crew
    needs the hook's ``crewai.project.crew_loader``.

    Raises:
        ProjectError: A syntax error, import error or exception in its code, or no crew.
    """
    project = LoadedProject(spec)
    load_env_file(spec.root)
    if spec.kind == "flow":
        _forget_modules(_top_names(spec))
        return project
    if spec.kind in ("script", "notebook"):
        project._program = read_program(spec.entry)
        _forget_modules(_top_names(spec))  # its sibling modules, not an earlier folder's
        project.default_inputs = crew_code.script_inputs(project._program.source, spec.entry)
        return project
    with project.activated():
        if spec.is_json_crew:
            project._json_loader = _json_loader(spec)
        else:
            _load_crew_module(project)
    return project


def _load_crew_module(project: LoadedProject) -> None:
    spec = project.spec
    module_name = spec.crew_module
    assert module_name is not None
    _forget_modules(_top_names(spec))
    module = project._call(lambda: importlib.import_module(module_name), spec.entry)
    classes = crew_code.crew_classes(vars(module), module.__name__)
    if not classes:
        if not any(crew_code.is_crew(value) for value in vars(module).values()):
            raise ProjectError(spec.entry, None, "no @CrewBase class here (a class decorated "
                               "with @CrewBase, with a @crew method), and no Crew")
        project._crew_module = module_name  # an older crew.py: `crew = Crew(...)` at the top
        return
    cls = classes[0]
    project._crew_class = cls
    project._crew_method = crew_code.crew_method(cls, spec.entry)
    project.agents_yaml = crew_code.config_path(cls, spec.entry, "agents_config",
                                                "config/agents.yaml")
    project.tasks_yaml = crew_code.config_path(cls, spec.entry, "tasks_config",
                                               "config/tasks.yaml")
    main_py = spec.entry.parent / "main.py"
    if main_py.is_file():
        project.default_inputs = crew_code.main_inputs(main_py)


def _top_names(spec: ProjectSpec) -> set[str]:
    """The top-level names the project's imports resolve in its own folders: its package,
    its main module, and the modules at its source root (a classic layout's ``tools.py``)."""
    names = {name.split(".")[0] for name in (spec.crew_module, spec.main_module) if name}
    for folder in {spec.source_dir, spec.root} - {None}:
        assert folder is not None
        names.update(path.stem for path in folder.glob("*.py"))
    return names - {"conftest", "setup", "__init__"}


def _forget_modules(top_names: set[str]) -> None:
    """Drops modules of an earlier load of a project with the same package names."""
    for name in list(sys.modules):
        if name.split(".")[0] in top_names and not _is_library(sys.modules[name]):
            del sys.modules[name]


def _is_library(module: object) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and ("site-packages" in Path(file).parts
                                 or Path(file).is_relative_to(Path(sys.base_prefix)))


def _json_loader(spec: ProjectSpec) -> Callable[[Path], tuple[Crew, dict[str, Any]]]:
    try:
        loader = importlib.import_module("crewai.project.crew_loader")
    except ImportError:
        raise ProjectError(spec.entry, None, "CrewDesk does not run crew.jsonc crews' code; "
                           "run it with --static (its definition is read as it is)") from None
    load_crew: Callable[[Path], tuple[Crew, dict[str, Any]]] = loader.load_crew
    return lambda path: from_exception_call(load_crew, path, spec)


def from_exception_call(
    load_crew: Callable[[Path], tuple[Crew, dict[str, Any]]], path: Path, spec: ProjectSpec
) -> tuple[Crew, dict[str, Any]]:
    """``load_crew(path)``, its errors as `ProjectError`."""
    try:
        return load_crew(path)
    except Exception as exc:  # noqa: BLE001 - the definition's errors become ProjectError
        raise from_exception(exc, spec.root, path) from exc
