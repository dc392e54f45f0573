"""What the memory dialog shows, read off the GUI thread: the stores, their crews, their items.

Every function here blocks (files and SQLite, through the engine's admin API in
`desktop_app.engine.memory`): the dialog calls them through `asyncio.to_thread`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from desktop_app.engine.memory import (
    MEMORY_KINDS,
    StoredItem,
    StoreInfo,
    list_stores,
    search_store,
    store_items,
    store_name_of,
)

KNOWLEDGE = "knowledge"
"""The kind of the items of a knowledge store (its chunks)."""

_KIND_NAMES = {
    "short_term": "short-term",
    "long_term": "long-term",
    "entity": "entity",
    KNOWLEDGE: "chunk",
}


@dataclass(frozen=True, slots=True)
class StoreRow:
    """One store file, with the crew it belongs to when that crew is known.

    Attributes:
        info: The engine's description of the file (name, kind, path, size, counts).
        crew: The name of the crew whose store it is (a crew of the library, or the one
            the dialog was opened for); None when no known crew has this store.
    """

    info: StoreInfo
    crew: str | None

    @property
    def items(self) -> int:
        """How many items the store holds."""
        return sum(self.info.counts.values())

    def counts_text(self) -> str:
        """Its items by kind: ``2 long-term, 5 entity`` (``empty`` when it has none)."""
        parts = [
            f"{number} {_KIND_NAMES.get(kind, kind)}"
            for kind, number in sorted(self.info.counts.items())
            if number
        ]
        return ", ".join(parts) or "empty"


def store_name_for(crew_name: str) -> str:
    """The name of the stores a crew of this name runs with (as the engine makes it)."""
    from desktop_app.engine import Crew

    return store_name_of(Crew(name=crew_name))


def item_kinds(row: StoreRow) -> tuple[str, ...]:
    """The kinds of items a store can hold."""
    return MEMORY_KINDS if row.info.kind == "memory" else (KNOWLEDGE,)


def load_rows(data_dir: Path, crew_names: Iterable[str]) -> list[StoreRow]:
    """Every memory and knowledge store in ``data_dir``, each with its crew when known.

    Args:
        data_dir: The app's data folder (the stores are in its ``memory/`` and ``knowledge/``).
        crew_names: Names of crews whose stores should be named after them.
    """
    crews = {store_name_for(name): name for name in crew_names if name.strip()}
    rows = [
        StoreRow(info, crews.get(info.name))
        for kind in ("memory", "knowledge")
        for info in list_stores(kind, data_dir)
    ]
    return sorted(
        rows, key=lambda row: ((row.crew or "~").casefold(), row.info.name, row.info.kind)
    )


def find_items(
    row: StoreRow, query: str, item_kind: str | None, data_dir: Path, limit: int = 50
) -> list[StoredItem]:
    """The store's items that best match ``query`` (newest first when it is empty).

    Args:
        row: The store.
        query: Words to look for (any of them, BM25 ranking).
        item_kind: Only items of this kind; None for every kind.
        data_dir: The app's data folder.
        limit: Most items returned.
    """
    info = row.info
    if not query.strip():
        return store_items(
            info.name, item_kind=item_kind, kind=info.kind, limit=limit, storage_dir=data_dir
        )
    kinds = (item_kind,) if item_kind else item_kinds(row)
    found = [
        item
        for kind in kinds
        for item in search_store(
            info.name, query, item_kind=kind, kind=info.kind, limit=limit, storage_dir=data_dir
        )
    ]
    return sorted(found, key=lambda item: item.score, reverse=True)[:limit]


def size_text(size: int) -> str:
    """A file size for people: ``840 B``, ``12.5 KB``, ``3.1 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
