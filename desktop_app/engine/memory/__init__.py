"""A crew's memory, as CrewAI's `Crew(memory=True)`: short-term, long-term and entity memory.

    crew = Crew(agents=[...], tasks=[...], memory=True, name="Research crew")

Each crew has its own store: a SQLite file with full-text search (FTS5, BM25 ranking) in the
app's data folder (`$CREWDESK_HOME/data/memory/`, else the platform's user data folder), named
after the crew. No network and no model download; with `Crew(embedder={...})` items also get
embeddings through litellm and searches mix BM25 with cosine similarity.

Before each task, the items most relevant to its description go into the agent's prompt; after
it, its output is saved. Every SQLite call runs on the store's own worker thread, never on an
event loop. The functions below let the app (or a script) list, search, reset and delete
stores; they are blocking (call them through `asyncio.to_thread` from a loop).
"""

import importlib
from typing import TYPE_CHECKING

from desktop_app.engine.memory._config import (
    ENTITY,
    LONG_TERM,
    MEMORY_KINDS,
    SHORT_TERM,
    MemoryConfig,
    MemoryKind,
)

if TYPE_CHECKING:
    from desktop_app.engine._fts import StoredItem, StoreError
    from desktop_app.engine.memory._admin import (
        StoreInfo,
        StoreInUseError,
        StoreKind,
        delete_store,
        knowledge_path_of,
        list_stores,
        memory_path_of,
        reset_crew_memories,
        reset_store,
        search_store,
        store_items,
        store_name_of,
        store_path,
    )
    from desktop_app.engine.memory._entities import Entity, find_entities

_LAZY = {
    "desktop_app.engine._fts": ("StoredItem", "StoreError"),
    "desktop_app.engine.memory._admin": (
        "StoreInfo",
        "StoreInUseError",
        "StoreKind",
        "delete_store",
        "knowledge_path_of",
        "list_stores",
        "memory_path_of",
        "reset_crew_memories",
        "reset_store",
        "search_store",
        "store_items",
        "store_name_of",
        "store_path",
    ),
    "desktop_app.engine.memory._entities": ("Entity", "find_entities"),
}
"""Names imported on first use, so that `Crew` can name `MemoryConfig` without loading the
stores (SQLite and the rest) into every `import desktop_app.engine`."""


def __getattr__(name: str) -> object:
    for module, names in _LAZY.items():
        if name in names:
            return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ENTITY",
    "LONG_TERM",
    "MEMORY_KINDS",
    "SHORT_TERM",
    "Entity",
    "MemoryConfig",
    "MemoryKind",
    "StoreError",
    "StoreInUseError",
    "StoreInfo",
    "StoreKind",
    "StoredItem",
    "delete_store",
    "find_entities",
    "knowledge_path_of",
    "list_stores",
    "memory_path_of",
    "reset_crew_memories",
    "reset_store",
    "search_store",
    "store_items",
    "store_name_of",
    "store_path",
]
