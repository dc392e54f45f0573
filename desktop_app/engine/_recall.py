"""The gate to memory and knowledge in a run (`_recall_run` does the work).

A crew with neither `memory=True` nor knowledge sources costs nothing here. For the others,
the first run imports `_recall_run` (SQLite, the stores, the sources) in a worker thread, so
`import desktop_app.engine` stays light and no import runs on an event loop.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from desktop_app.engine.outputs import TaskOutput

if TYPE_CHECKING:
    from desktop_app.engine._run_state import PreparedTask, RunState
    from desktop_app.engine._specs import AgentSpec, CrewSpec

RunTasks = Callable[[Sequence["PreparedTask"], "RunState"], Awaitable[list[TaskOutput]]]

_MODULE = "desktop_app.engine._recall_run"


def agents_of(crew: CrewSpec) -> list[AgentSpec]:
    """The crew's agents and its tasks' agents, each once, in order."""
    seen: dict[int, AgentSpec] = {}
    for agent in [*crew.agents, *(task.agent for task in crew.tasks if task.agent)]:
        seen.setdefault(id(agent), agent)
    return list(seen.values())


def has_knowledge(crew: CrewSpec) -> bool:
    """Whether the crew or one of its agents has knowledge sources."""
    return bool(crew.knowledge_sources) or any(a.knowledge_sources for a in agents_of(crew))


def wants_recall(crew: CrewSpec) -> bool:
    """Whether a run of `crew` uses memory or knowledge."""
    return crew.memory or has_knowledge(crew)


async def run_with_recall(
    crew: CrewSpec, tasks: Sequence[PreparedTask], state: RunState, run_tasks: RunTasks
) -> list[TaskOutput]:
    """Runs `run_tasks`, with the crew's memory and knowledge when it has either."""
    if not wants_recall(crew):
        return await run_tasks(tasks, state)
    module: ModuleType = await asyncio.to_thread(importlib.import_module, _MODULE)
    result: list[TaskOutput] = await module.run_with_recall(crew, tasks, state, run_tasks)
    return result
