"""`crewai.agents`: the package of CrewAI's agent internals; `agent_builder.base_agent` is
what projects import from it."""
