"""A crew's memory during one run: recall before a task, remember after it.

- Short-term: each task's output, kept for the rest of this run (scope: the run id) and
  removed when the run ends; recalled for later tasks by relevance to their description.
- Long-term: each task's description, expected output and result (and the agent), kept
  across runs; recalled when a later run meets a related task.
- Entity: the people, places and things a task's output names (`_entities`), each with the
  sentence that mentions it, kept across runs.

Every store call runs on the store's worker thread (`StoreHandle`); embeddings (when the crew
has an embedder) are computed first, on the run's loop, through `Embedder`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desktop_app.engine._fts import FtsStore, NewItem
from desktop_app.engine._store_thread import StoreHandle
from desktop_app.engine.memory._config import (
    ENTITY,
    LONG_TERM,
    SHORT_TERM,
    MemoryConfig,
    MemoryKind,
)
from desktop_app.engine.memory._entities import find_entities
from desktop_app.engine.memory._evaluate import Evaluation

_HEADINGS = {
    SHORT_TERM: "Recent insights from this run",
    LONG_TERM: "Historical data from earlier runs",
    ENTITY: "Entities",
}


@dataclass(frozen=True, slots=True)
class Recalled:
    """What one search found: the kind of memory, and the texts."""

    kind: MemoryKind
    texts: list[str]


@dataclass(slots=True)
class TaskFacts:
    """What memory needs to know about a finished task."""

    description: str
    expected_output: str
    agent_role: str
    output: str


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """One memory search: which kind, how many, in which scopes, leaving out which run."""

    kind: MemoryKind
    limit: int
    scopes: list[str] | None
    exclude_run: str | None


def search_all(
    store: FtsStore,
    plans: Sequence[SearchPlan],
    query: str,
    vector: Sequence[float] | None,
    vector_model: str | None,
) -> list[Recalled]:
    """On the store's thread: every search of `plans`, kinds without hits left out."""
    found = []
    for plan in plans:
        if plan.limit == 0:
            continue
        items = store.search(
            plan.kind,
            query,
            limit=plan.limit,
            scopes=plan.scopes,
            query_vector=vector,
            vector_model=vector_model,
            exclude_run=plan.exclude_run,
        )
        if items:
            found.append(Recalled(plan.kind, [item.text for item in items]))
    return found


class RunMemory:
    """One run's view of a crew's memory store."""

    def __init__(self, handle: StoreHandle, run_id: str, config: MemoryConfig) -> None:
        self._handle = handle
        self._run_id = run_id
        self._config = config

    async def recall(
        self, query: str, vector: Sequence[float] | None, vector_model: str | None
    ) -> list[Recalled]:
        """Searches the three memories for `query` (one hop to the store's thread); only
        kinds with hits are returned."""
        config = self._config
        run = self._run_id
        plans: list[SearchPlan] = [
            SearchPlan(SHORT_TERM, config.short_term_results, [run], None),
            SearchPlan(LONG_TERM, config.long_term_results, None, run),
            SearchPlan(ENTITY, config.entity_results, None, None),
        ]
        return await self._handle.call(search_all, plans, query, vector, vector_model)

    @property
    def config(self) -> MemoryConfig:
        """The crew's memory settings."""
        return self._config

    def items_for(self, task: TaskFacts, evaluation: Evaluation | None = None) -> list[NewItem]:
        """The items to save for a finished task (vectors not yet filled)."""
        limit = self._config.max_item_chars
        meta: dict[str, Any] = {
            "agent": task.agent_role,
            "run_id": self._run_id,
            "task": task.description[:300],
        }
        output = task.output.strip()[:limit]
        lessons = ""
        if evaluation is not None:
            lessons = f"\nQuality: {evaluation.quality:g}/10" + "".join(
                f"\nSuggestion: {text}" for text in evaluation.suggestions
            )
        items = [
            NewItem(SHORT_TERM, output, scope=self._run_id, metadata=meta),
            NewItem(
                LONG_TERM,
                f"Task: {task.description.strip()[:limit]}\n"
                f"Expected: {task.expected_output.strip()[:300]}\nResult: {output}{lessons}",
                metadata={**meta, "quality": evaluation.quality if evaluation else None},
            ),
        ]
        most = self._config.max_entities_per_task
        found = evaluation.entities if evaluation else find_entities(task.output, most)
        for entity in found or find_entities(task.output, most):
            items.append(
                NewItem(
                    ENTITY,
                    f"{entity.name}: {entity.mention}",
                    scope=entity.name.lower(),
                    metadata={**meta, "name": entity.name},
                )
            )
        return items

    async def save(self, items: Sequence[NewItem], vector_model: str | None) -> dict[str, int]:
        """Saves `items`; returns how many of each kind there were."""
        await self._handle.call(FtsStore.add, items, vector_model)
        counts: dict[str, int] = {}
        for item in items:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        return counts

    async def forget_run(self) -> None:
        """Removes this run's short-term items (the run ended)."""
        await self._handle.call(FtsStore.delete, SHORT_TERM, self._run_id)


def memory_prompt(found: Sequence[Recalled]) -> str:
    """The prompt section for what memory recalled ("" when nothing)."""
    if not found:
        return ""
    parts = ["# Useful context from memory:"]
    for recalled in found:
        parts.append(f"{_HEADINGS[recalled.kind]}:")
        parts.extend(f"- {text}" for text in recalled.texts)
    return "\n".join(parts)
