"""Helpers shared by the memory and knowledge tests."""

from __future__ import annotations

from typing import Any

from desktop_app.engine import LLM, Agent, Crew, Task
from desktop_app.simulator import Simulator, SimulatorThread


def chat_prompts(sim: Simulator | SimulatorThread) -> list[str]:
    """The task prompt (first user message) of every chat request, in order."""
    return [
        str(request.body["messages"][1]["content"])
        for request in sim.stats.requests
        if request.path.endswith("/chat/completions")
    ]


def one_agent_crew(llm: LLM, *descriptions: str, **crew_options: Any) -> Crew:
    """A crew of one agent doing `descriptions` in order, each without the others' outputs."""
    agent = Agent(role="Researcher", goal="Find facts", backstory="Careful.", llm=llm)
    tasks = [
        Task(description=text, expected_output="facts", agent=agent, context=[])
        for text in descriptions
    ]
    return Crew(agents=[agent], tasks=tasks, **crew_options)
