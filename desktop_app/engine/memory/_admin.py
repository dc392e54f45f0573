"""Looking into, resetting and deleting crews' stores, for the app and for scripts.

Every function here is blocking (file and SQLite work): from an event loop, call them through
`asyncio.to_thread`. They share the store handle of a run that has the store open, so their
SQLite calls run on that store's thread too; deleting a store that a run holds is refused.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from desktop_app.engine import _paths
from desktop_app.engine._fts import FtsStore, StoredItem
from desktop_app.engine._store_thread import is_open, with_store
from desktop_app.engine.memory._config import ENTITY, LONG_TERM, SHORT_TERM, MemoryConfig

if TYPE_CHECKING:
    from desktop_app.engine._specs import CrewSpec

StoreKind = Literal["memory", "knowledge"]

_RESET_KINDS: dict[str, tuple[StoreKind, str | None]] = {
    "short": ("memory", SHORT_TERM),
    "long": ("memory", LONG_TERM),
    "entity": ("memory", ENTITY),
    "entities": ("memory", ENTITY),
    "memory": ("memory", None),
    "knowledge": ("knowledge", None),
    "agent_knowledge": ("knowledge", None),
}
_NOTHING_TO_RESET = frozenset({"kickoff_outputs"})
"""CrewAI keeps the last kickoff's task outputs; CrewDesk keeps runs in the app's history."""


class StoreInUseError(RuntimeError):
    """A store cannot be deleted while a run uses it."""


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """One crew's store file.

    Attributes:
        name: The store's name (the file name without its suffix).
        kind: "memory" or "knowledge".
        path: The SQLite file.
        size_bytes: Its size on disk (with its write-ahead log).
        modified: When it last changed (seconds since the epoch).
        counts: Items per kind ("short_term", "long_term", "entity", "knowledge").
    """

    name: str
    kind: StoreKind
    path: Path
    size_bytes: int
    modified: float
    counts: dict[str, int]


def store_name_of(crew: CrewSpec) -> str:
    """The name of the crew's stores: `memory_config.store_name`, else made from its name
    (or, without one, from its agents' roles and tasks' descriptions)."""
    config = crew.memory_config or MemoryConfig()
    if config.store_name:
        return _paths.store_key(config.store_name)
    parts = [agent.role for agent in crew.agents] + [task.description for task in crew.tasks]
    return _paths.store_key(crew.name, parts)


def memory_path_of(crew: CrewSpec) -> Path:
    """The crew's memory store file."""
    return _paths.store_path("memory", store_name_of(crew), _storage_dir(crew))


def knowledge_path_of(crew: CrewSpec) -> Path:
    """The crew's knowledge store file."""
    return _paths.store_path("knowledge", store_name_of(crew), _storage_dir(crew))


def _storage_dir(crew: CrewSpec) -> Path | None:
    return crew.memory_config.storage_dir if crew.memory_config else None


def store_path(name: str, kind: StoreKind = "memory", storage_dir: Path | None = None) -> Path:
    """The file of the store `name` (as `StoreInfo.name` has it)."""
    return _paths.store_path(kind, name, storage_dir)


def list_stores(kind: StoreKind = "memory", storage_dir: Path | None = None) -> list[StoreInfo]:
    """Every store of `kind` in the data folder (or `storage_dir`), by name."""
    folder = _paths.stores_dir(kind, storage_dir)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob(f"*{_paths.STORE_SUFFIX}")):
        counts = with_store(path, FtsStore.counts)
        sizes = [info for info in map(_stat, (path, *_sidecars(path))) if info is not None]
        found.append(
            StoreInfo(
                name=path.name.removesuffix(_paths.STORE_SUFFIX),
                kind=kind,
                path=path,
                size_bytes=sum(s.st_size for s in sizes),
                modified=max((s.st_mtime for s in sizes), default=time.time()),
                counts=counts,
            )
        )
    return found


def search_store(
    name: str,
    query: str,
    *,
    item_kind: str,
    kind: StoreKind = "memory",
    limit: int = 10,
    storage_dir: Path | None = None,
) -> list[StoredItem]:
    """The items of `item_kind` ("short_term", "long_term", "entity", "knowledge") that best
    match `query`."""
    path = _existing(name, kind, storage_dir)
    return with_store(path, FtsStore.search, item_kind, query, limit=limit)


def store_items(
    name: str,
    *,
    item_kind: str | None = None,
    kind: StoreKind = "memory",
    limit: int = 100,
    offset: int = 0,
    storage_dir: Path | None = None,
) -> list[StoredItem]:
    """A page of the store's items, newest first."""
    path = _existing(name, kind, storage_dir)
    return with_store(path, FtsStore.items, item_kind, limit=limit, offset=offset)


def reset_store(
    name: str,
    *,
    item_kind: str | None = None,
    kind: StoreKind = "memory",
    storage_dir: Path | None = None,
) -> int:
    """Deletes the store's items of `item_kind` (all when None); returns how many went."""
    path = store_path(name, kind, storage_dir)
    if not path.exists():
        return 0
    return with_store(path, FtsStore.delete, item_kind)


def delete_store(name: str, kind: StoreKind = "memory", storage_dir: Path | None = None) -> bool:
    """Deletes the store's file; False when there was none.

    Raises:
        StoreInUseError: A run has the store open.
    """
    path = store_path(name, kind, storage_dir)
    if is_open(path):
        raise StoreInUseError(f"the {kind} store '{name}' is in use by a running crew")
    existed = path.exists()
    for file in (path, *_sidecars(path)):
        file.unlink(missing_ok=True)
    return existed


def reset_crew_memories(crew: CrewSpec, command_type: str = "all") -> None:
    """CrewAI's `Crew.reset_memories`: "short", "long", "entity", "knowledge" or "all"
    (also "memory": the three memories; "agent_knowledge": the whole knowledge index, rebuilt
    at the next run; "kickoff_outputs": nothing to reset here).

    Raises:
        ValueError: An unknown `command_type`.
    """
    if command_type in _NOTHING_TO_RESET:
        return
    if command_type == "all":
        targets = [_RESET_KINDS["memory"], _RESET_KINDS["knowledge"]]
    elif command_type in _RESET_KINDS:
        targets = [_RESET_KINDS[command_type]]
    else:
        known = ", ".join([*_RESET_KINDS, "all"])
        raise ValueError(f"unknown memory type '{command_type}'; use one of: {known}")
    name, folder = store_name_of(crew), _storage_dir(crew)
    for kind, item_kind in targets:
        reset_store(name, item_kind=item_kind, kind=kind, storage_dir=folder)


def _existing(name: str, kind: StoreKind, storage_dir: Path | None) -> Path:
    path = store_path(name, kind, storage_dir)
    if not path.exists():
        raise FileNotFoundError(f"there is no {kind} store named '{name}'")
    return path


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:  # a sidecar file goes when its store closes
        return None


def _sidecars(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
