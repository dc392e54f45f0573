"""How a crew's memory is set up: `Crew(memory=True, memory_config=MemoryConfig(...))`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

MemoryKind: TypeAlias = Literal["short_term", "long_term", "entity"]
SHORT_TERM: MemoryKind = "short_term"
LONG_TERM: MemoryKind = "long_term"
ENTITY: MemoryKind = "entity"
MEMORY_KINDS: tuple[MemoryKind, ...] = (SHORT_TERM, LONG_TERM, ENTITY)
"""The kinds of memory items, as stored."""


class MemoryConfig(BaseModel):
    """Settings of a crew's memory (every field has a working default).

    Attributes:
        storage_dir: The folder that holds the `memory/` and `knowledge/` stores; None for
            the app's data folder (`$CREWDESK_HOME/data`, else the platform's).
        store_name: The store's name; None for the crew's name (or, for a crew without a
            name, a name made from its agents and tasks).
        short_term_results: Items of this run recalled before a task.
        long_term_results: Items of earlier runs recalled before a task.
        entity_results: Entities recalled before a task.
        max_item_chars: Longest text kept for one item (longer outputs are cut).
        max_entities_per_task: Most entities saved from one task's output.
        evaluate: After each task, one more call of its agent's model rates the result,
            suggests improvements and names its entities (CrewAI's task evaluation), kept in
            long-term and entity memory. Off: entities are found in the text, no call.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    storage_dir: Path | None = None
    store_name: str | None = None
    short_term_results: int = Field(default=3, ge=0)
    long_term_results: int = Field(default=3, ge=0)
    entity_results: int = Field(default=3, ge=0)
    max_item_chars: int = Field(default=2000, ge=100)
    max_entities_per_task: int = Field(default=10, ge=0)
    evaluate: bool = False
