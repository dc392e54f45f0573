"""Who may be delegated to: the coworkers of a task's agent, in either process.

- Hierarchical crews: the manager's coworkers (`Crew.coworkers_for`, see `_hierarchical`).
- Sequential crews (CrewAI's `Crew._add_delegation_tools`): an agent with
  `allow_delegation=True` gets "Delegate work to coworker" and "Ask question to coworker"
  over the crew's other agents, when the crew has more than one agent. A coworker put to work
  through them never delegates in turn (the delegated work has no coworkers), as in CrewAI,
  where only the task's own agent gets the delegation tools.

The tools themselves, and how a call runs the coworker's own agent loop in the same run, are
shared with hierarchical crews: `with_coworker_tools` adds them to any prepared task that has
coworkers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from desktop_app.engine._hierarchical import with_coworker_tools

if TYPE_CHECKING:
    from desktop_app.engine._specs import AgentSpec, CrewSpec, TaskSpec

__all__ = ["delegation_coworkers", "with_coworker_tools"]


def delegation_coworkers(crew: CrewSpec, task: TaskSpec) -> Sequence[AgentSpec] | None:
    """Whom the agent doing `task` may delegate to in a run of `crew`; None: no delegation.

    Hierarchical: the manager's coworkers. Sequential: the crew's other agents, when the
    task's agent allows delegation and there is another agent.
    """
    coworkers = crew.coworkers_for(task)
    if coworkers is not None:
        return coworkers
    agent = crew.agent_for(task)
    if not agent.allow_delegation:
        return None
    others = [other for other in crew.agents if other is not agent]
    return others if len(crew.agents) > 1 and others else None
