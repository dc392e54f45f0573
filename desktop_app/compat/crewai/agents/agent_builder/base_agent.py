"""`crewai.agents.agent_builder.base_agent`: `BaseAgent`, for type hints and `isinstance`.

CrewDesk has one agent class, so `BaseAgent` is `Agent`: `isinstance(agent, BaseAgent)` and
`list[BaseAgent]` hints work as in CrewAI.
"""

from desktop_app.engine import Agent

BaseAgent = Agent

__all__ = ["BaseAgent"]
