"""The import hook: `crewai` and `crewai_tools` resolve to CrewDesk's compatibility modules.

A `sys.meta_path` finder, placed first, answers for `crewai`, `crewai.*`, `crewai_tools` and
`crewai_tools.*`. Each name is served by the module of the same path under
`desktop_app.compat` (`crewai.project` is `desktop_app.compat.crewai.project`): the very same
module object, aliased in `sys.modules`, so classes keep one identity whichever name imported
them. A real CrewAI installed elsewhere is shadowed in this process only, while installed.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

ROOTS = ("crewai", "crewai_tools")
"""The top-level names the hook answers for."""

_TARGET_PREFIX = "desktop_app.compat."
DOCS = "docs/COMPATIBILITY.md"

_HINTS: dict[str, str] = {
    "crewai.knowledge.source.crew_docling_source": (
        "{name} (CrewDoclingSource, docling) is not supported by CrewDesk: use "
        "TextFileKnowledgeSource, PDFKnowledgeSource or CSVKnowledgeSource from "
        f"crewai.knowledge.source instead. See {DOCS}."
    ),
    "crewai.knowledge.source.excel_knowledge_source": (
        "{name} (ExcelKnowledgeSource) is not supported by CrewDesk: save the sheet as CSV and "
        f"use CSVKnowledgeSource instead. See {DOCS}."
    ),
    **dict.fromkeys(("crewai.mcp.client", "crewai.mcp.tool_resolver", "crewai.mcp.transports"), (
        "{name} is not part of CrewDesk: crewai.mcp offers the server configs "
        "(MCPServerStdio, MCPServerHTTP, MCPServerSSE) and tool filters; CrewDesk connects "
        f"to the servers itself. See {DOCS}."
    )),
    "crewai.a2a": f"{{name}} (agent-to-agent, A2A) is not supported by CrewDesk. See {DOCS}.",
    "crewai.lite_agent": (
        "{name} (LiteAgent) is not supported by CrewDesk: use an Agent with a one-task "
        f"Crew. See {DOCS}."
    ),
    "crewai.memory.storage": (
        "{name} (custom memory storages) is not supported by CrewDesk: use Crew(memory=True); "
        f"MemoryConfig(storage_dir=...) from desktop_app.engine.memory says where. See {DOCS}."
    ),
    "crewai.agents.parser": (
        "{name} (AgentAction, AgentFinish) is not part of CrewDesk: a step_callback gets an "
        f"AgentStep (desktop_app.engine.AgentStep) with the step's text and tool calls. See {DOCS}."
    ),
    "crewai.cli": (
        "{name} (CrewAI's command line) is not part of CrewDesk: use `crewdesk run PATH` "
        f"instead. See {DOCS}."
    ),
}
"""What CrewDesk offers instead of modules it does not have, by module (and its children)."""


def _hint_for(name: str) -> str | None:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        hint = _HINTS.get(".".join(parts[:end]))
        if hint is not None:
            return hint.format(name=name)
    return None


def missing_module_error(name: str) -> ModuleNotFoundError:
    """The error for a CrewAI module CrewDesk does not provide, saying what to use instead."""
    hint = _hint_for(name)
    if hint is not None:
        return ModuleNotFoundError(hint, name=name)
    message = (
        f"No module named {name!r}: CrewDesk's CrewAI compatibility layer does not provide "
        f"it. {DOCS} lists the CrewAI modules and names CrewDesk offers."
    )
    return ModuleNotFoundError(message, name=name)


def _is_ours(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in ROOTS)


class _AliasLoader(importlib.abc.Loader):
    """Loads a `crewai...` name as the already importable `desktop_app.compat...` module."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self._target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run (the target module ran when it was imported); puts back the
        module's own `__spec__`, which the import system replaced with the alias's."""
        if self._spec is not None:
            module.__spec__ = self._spec


class CompatFinder(importlib.abc.MetaPathFinder):
    """Finds `crewai...` and `crewai_tools...` modules under `desktop_app.compat`."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not _is_ours(fullname):
            return None
        real = _TARGET_PREFIX + fullname
        if _hint_for(fullname) is not None:
            raise missing_module_error(fullname)
        try:
            found = importlib.util.find_spec(real)
        except ModuleNotFoundError:
            found = None
        if found is None:
            raise missing_module_error(fullname)
        return importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(real),
            is_package=found.submodule_search_locations is not None,
        )


_lock = threading.Lock()
_finder: CompatFinder | None = None
_shadowed: dict[str, ModuleType] = {}


def install() -> None:
    """Makes `crewai` and `crewai_tools` imports in this process resolve to CrewDesk.

        import desktop_app.compat

        desktop_app.compat.install()
        from crewai import Agent, Crew, Task   # CrewDesk's engine classes

    Puts the finder first on `sys.meta_path` (once; calling again does nothing more).
    Modules of a real CrewAI already imported are taken out of `sys.modules` (and put back by
    `uninstall`), so later imports get CrewDesk's.
    """
    global _finder
    with _lock:
        if _finder is not None:
            if sys.meta_path[0] is not _finder:
                sys.meta_path.remove(_finder)
                sys.meta_path.insert(0, _finder)
            return
        for name, module in list(sys.modules.items()):
            if _is_ours(name) and not _is_alias(module):
                _shadowed[name] = sys.modules.pop(name)
        _finder = CompatFinder()
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Removes the finder and the `crewai...` aliases, and brings back a set-aside CrewAI."""
    global _finder
    with _lock:
        if _finder is None:
            return
        if _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        _finder = None
        for name, module in list(sys.modules.items()):
            if _is_ours(name) and _is_alias(module):
                del sys.modules[name]
        sys.modules.update(_shadowed)
        _shadowed.clear()


def is_installed() -> bool:
    """Whether the finder is installed."""
    return _finder is not None


def _is_alias(module: ModuleType | None) -> bool:
    return getattr(module, "__name__", "").startswith(_TARGET_PREFIX)
