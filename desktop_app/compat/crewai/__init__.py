"""`crewai`: CrewAI's top-level names, on CrewDesk's engine.

`Agent`, `Task`, `Crew`, `LLM`... are the engine's own classes (`crewai.Agent is
desktop_app.engine.Agent`; `Flow` is `crewai.flow.Flow`, the engine's with CrewAI's
`stream_events`). Names CrewAI has and
CrewDesk does not (`Memory`...) raise
an `ImportError` that says what to use instead.
"""

from __future__ import annotations

from desktop_app.compat._unsupported import unsupported_name
from desktop_app.compat.crewai.flow.flow import Flow
from desktop_app.compat.crewai.knowledge.knowledge import Knowledge
from desktop_app.compat.crewai.llms.base_llm import BaseLLM
from desktop_app.engine import LLM, Agent, Crew, CrewOutput, Process, Task, TaskOutput

__version__ = "1.15.30"
"""The CrewAI version whose API this package mirrors."""


def __getattr__(name: str) -> object:
    raise unsupported_name(__name__, name)


__all__ = [
    "LLM",
    "Agent",
    "BaseLLM",
    "Crew",
    "CrewOutput",
    "Flow",
    "Knowledge",
    "Process",
    "Task",
    "TaskOutput",
    "__version__",
]
