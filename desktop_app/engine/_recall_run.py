"""Memory and knowledge in a run: what a task recalls before it starts, and what it leaves.

`run_with_recall` wraps a run's tasks when the crew has `memory=True` or knowledge sources
(`_recall` imports this module in a worker thread the first time):
it takes a lease on the crew's stores (`_store_thread`), indexes the knowledge sources that
changed, and hands the run a `RunRecall`. Before each task `before_task` searches memory and
knowledge with the task's description and returns the prompt section; after it,
`after_task` saves the output to memory. When the run ends its short-term items go.

On every path (`akickoff` on the caller's loop; `kickoff` and `kickoff_async` on a private
loop in a worker thread) store calls run on the store's worker thread and are awaited.
Embeddings use litellm's async API on `akickoff` and its sync API on the blocking paths, as
LLM calls do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from desktop_app.engine import events as ev
from desktop_app.engine._fts import FtsStore, NewItem, StoredItem
from desktop_app.engine._recall import RunTasks, agents_of, has_knowledge
from desktop_app.engine._secrets_mask import mask
from desktop_app.engine._store_thread import StoreHandle, open_store
from desktop_app.engine._trace import Span
from desktop_app.engine.knowledge._config import KnowledgeConfig
from desktop_app.engine.knowledge._index import KNOWLEDGE, apply_plan, plan_index, plan_items
from desktop_app.engine.knowledge._sources import BaseKnowledgeSource
from desktop_app.engine.llm import Embedder
from desktop_app.engine.memory._admin import knowledge_path_of, memory_path_of
from desktop_app.engine.memory._config import MemoryConfig
from desktop_app.engine.memory._evaluate import (
    Evaluation,
    evaluation_messages,
    parse_evaluation,
)
from desktop_app.engine.memory._run_memory import RunMemory, TaskFacts, memory_prompt
from desktop_app.engine.outputs import TaskOutput

log = logging.getLogger("desktop_app.engine")

if TYPE_CHECKING:
    from desktop_app.engine._run_state import PreparedTask, RunState, TaskMeta
    from desktop_app.engine._specs import CrewSpec


@dataclass(slots=True)
class _Knowledge:
    handle: StoreHandle
    crew_keys: list[str]
    agent_keys: dict[int, list[str]] = field(default_factory=dict)
    limits: dict[int, int] = field(default_factory=dict)
    default_limit: int = 3


class RunRecall:
    """Memory and knowledge for one run (see the module docstring)."""

    def __init__(self, crew: CrewSpec, state: RunState, embedder: Embedder | None) -> None:
        self._crew = crew
        self._state = state
        self._embedder = embedder
        self.memory: RunMemory | None = None
        self.knowledge: _Knowledge | None = None

    async def embed(self, texts: Sequence[str]) -> list[list[float]] | None:
        """Embeddings of `texts`, or None without an embedder."""
        if self._embedder is None or not texts:
            return None
        if self._state.blocking:
            return self._embedder.embed(texts)
        return await self._embedder.aembed(texts)

    @property
    def vector_model(self) -> str | None:
        """The embedder's identity, stored beside vectors."""
        return self._embedder.identity if self._embedder is not None else None

    async def index(self) -> None:
        """Indexes the crew's and its agents' knowledge sources that changed."""
        knowledge, crew = self.knowledge, self._crew
        if knowledge is None:
            return
        knowledge.crew_keys = await self._index_sources(knowledge.handle, crew.knowledge_sources)
        for agent in agents_of(crew):
            knowledge.agent_keys[id(agent)] = await self._index_sources(
                knowledge.handle, agent.knowledge_sources
            )
            if agent.knowledge_config is not None:
                knowledge.limits[id(agent)] = agent.knowledge_config.results_limit

    async def _index_sources(
        self, handle: StoreHandle, sources: Sequence[BaseKnowledgeSource]
    ) -> list[str]:
        if not sources:
            return []
        keys, plans = await handle.call(plan_index, sources, self.vector_model or "")
        for plan in plans:
            vectors = await self.embed(plan.chunks)
            await handle.call(apply_plan, plan, plan_items(plan, vectors), self.vector_model)
        return keys

    async def before_task(self, task: PreparedTask, meta: TaskMeta) -> str:
        """Searches memory and knowledge for `task`; returns the prompt section ("" if none)."""
        query = task.description
        with Span(self._state, "memory", "Recall", meta) as span:
            vectors = await self.embed([query])
            vector = vectors[0] if vectors else None
            sections = []
            if self.memory is not None:
                found = await self.memory.recall(query, vector, self.vector_model)
                for recalled in found:
                    self._state.send(
                        ev.MemoryRetrieved(
                            memory=recalled.kind, query=query, items=recalled.texts, **meta
                        )
                    )
                sections.append(memory_prompt(found))
            if self.knowledge is not None:
                sections.append(await self._knowledge_section(task, query, vector, meta))
            recalled_text = "\n\n".join(section for section in sections if section)
            if span.active:
                span.detail = {"query": mask(query), "recalled": mask(recalled_text)}
        return recalled_text

    async def _knowledge_section(
        self, task: PreparedTask, query: str, vector: Sequence[float] | None, meta: TaskMeta
    ) -> str:
        knowledge = self.knowledge
        assert knowledge is not None
        agent_id = id(self._crew.agent_for(task.source))
        scopes = knowledge.crew_keys + knowledge.agent_keys.get(agent_id, [])
        limit = knowledge.limits.get(agent_id, knowledge.default_limit)
        chunks: list[StoredItem] = await knowledge.handle.call(
            FtsStore.search,
            KNOWLEDGE,
            query,
            limit=limit,
            scopes=scopes,
            query_vector=vector,
            vector_model=self.vector_model,
        )
        if not chunks:
            return ""
        texts = [chunk.text for chunk in chunks]
        sources = [str(chunk.metadata.get("source", "")) for chunk in chunks]
        self._state.send(ev.KnowledgeRetrieved(query=query, items=texts, sources=sources, **meta))
        lines = "\n".join(
            f"- ({source}) {text}" for source, text in zip(sources, texts, strict=True)
        )
        return f"# Additional information from knowledge sources:\n{lines}"

    async def after_task(self, task: PreparedTask, output: TaskOutput, meta: TaskMeta) -> None:
        """Saves the task's output to memory (when memory is on)."""
        if self.memory is None:
            return
        facts = TaskFacts(task.description, task.expected_output, task.agent.role, output.raw)
        evaluation = (
            await self._evaluate(task, facts, meta) if self.memory.config.evaluate else None
        )
        items = self.memory.items_for(facts, evaluation)
        vectors = await self.embed([item.text for item in items])
        if vectors is not None:
            items = [
                _with_vector(item, vector) for item, vector in zip(items, vectors, strict=True)
            ]
        counts = await self.memory.save(items, self.vector_model)
        self._state.send(ev.MemorySaved(counts=counts, **meta))

    async def _evaluate(
        self, task: PreparedTask, facts: TaskFacts, meta: TaskMeta
    ) -> Evaluation | None:
        """One call of the agent's model rating the result (`MemoryConfig.evaluate`)."""
        state, llm = self._state, task.agent.llm
        messages = evaluation_messages(facts.description, facts.expected_output, facts.output)
        if state.blocking:
            result = llm.call(messages, cancelled=state.cancelled)
        else:
            result = await llm.acall(messages)
        with state.lock:
            state.usage.add(result.usage)
            if result.cost_usd is not None:
                state.cost_usd = (state.cost_usd or 0.0) + result.cost_usd
            usage, cost = state.usage.model_copy(), state.cost_usd
        state.send(ev.UsageUpdated(usage=usage, cost_usd=cost, **meta))
        assert self.memory is not None
        return parse_evaluation(result.text, self.memory.config.max_entities_per_task)


async def _forget(memory: RunMemory) -> None:
    """Removes the run's short-term items; a failure is logged, not raised over the run's
    own outcome."""
    try:
        await memory.forget_run()
    except Exception:
        log.warning("could not remove a run's short-term memory", exc_info=True)


def _with_vector(item: NewItem, vector: Sequence[float]) -> NewItem:
    return replace(item, vector=vector)


async def run_with_recall(
    crew: CrewSpec, tasks: Sequence[PreparedTask], state: RunState, run_tasks: RunTasks
) -> list[TaskOutput]:
    """Runs `run_tasks` with the crew's memory and knowledge (see the module docstring)."""
    config = crew.memory_config or MemoryConfig()
    embedder = Embedder.from_config(crew.embedder) if crew.embedder else None
    recall = RunRecall(crew, state, embedder)
    async with AsyncExitStack() as stack:
        if crew.memory:
            handle = await stack.enter_async_context(open_store(memory_path_of(crew)))
            await handle.call(FtsStore.count)  # opens it: a damaged store fails the run now
            recall.memory = RunMemory(handle, state.run_id, config)
            stack.push_async_callback(_forget, recall.memory)
        if has_knowledge(crew):
            handle = await stack.enter_async_context(open_store(knowledge_path_of(crew)))
            limit = (crew.knowledge_config or KnowledgeConfig()).results_limit
            recall.knowledge = _Knowledge(handle, [], default_limit=limit)
            await recall.index()
        state.recall = recall
        return await run_tasks(tasks, state)
