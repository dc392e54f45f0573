"""Indexing knowledge sources into a crew's knowledge store, once, and finding chunks.

Planning (stat, read, hash, chunk) runs on the store's worker thread, since it reads files;
embeddings (when the crew has an embedder) are computed on the run's loop; then the chunks of
each changed unit replace its old ones in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from desktop_app.engine._fts import FtsStore, NewItem, SourceState
from desktop_app.engine.knowledge._sources import BaseKnowledgeSource

KNOWLEDGE = "knowledge"

Embed = Callable[[Sequence[str]], Awaitable[list[list[float]]]]


@dataclass(frozen=True, slots=True)
class IndexPlan:
    """A unit whose chunks must be (re)written."""

    key: str
    label: str
    state: SourceState
    chunks: list[str]
    metadata: dict[str, object]


def plan_index(
    store: FtsStore, sources: Sequence[BaseKnowledgeSource], embedder_id: str
) -> tuple[list[str], list[IndexPlan]]:
    """On the store thread: every unit's key, and plans for the units that changed.

    A unit whose stamp (file time and size, and the embedder) is unchanged is not read; one
    whose stamp changed but whose content did not only gets its new stamp.
    """
    keys: list[str] = []
    plans: list[IndexPlan] = []
    for source in sources:
        for unit in source.units():
            keys.append(unit.key)
            old = store.source_state(unit.key)
            stamp = f"{unit.stamp()}|{embedder_id}"
            if old is not None and old.stamp == stamp:
                continue
            chunks = unit.load()
            digest = hashlib.sha256("\x1f".join([embedder_id, *chunks]).encode()).hexdigest()
            if old is not None and old.digest == digest:
                store.restamp_source(unit.key, stamp)
                continue
            state = SourceState(stamp, digest, len(chunks))
            metadata = {**source.metadata, "source": unit.label}
            plans.append(IndexPlan(unit.key, unit.label, state, chunks, metadata))
    return keys, plans


def apply_plan(
    store: FtsStore, plan: IndexPlan, items: Sequence[NewItem], vector_model: str | None
) -> bool:
    """On the store thread: writes a plan unless another run already did; True if written."""
    current = store.source_state(plan.key)
    if current is not None and current.stamp == plan.state.stamp:
        return False
    store.replace_source(plan.key, plan.state, items, vector_model)
    return True


def plan_items(plan: IndexPlan, vectors: Sequence[Sequence[float]] | None) -> list[NewItem]:
    """The store items of a plan's chunks (with their vectors, when embedded)."""
    return [
        NewItem(
            KNOWLEDGE,
            chunk,
            scope=plan.key,
            metadata={**plan.metadata, "chunk": index},
            vector=vectors[index] if vectors is not None else None,
        )
        for index, chunk in enumerate(plan.chunks)
    ]
