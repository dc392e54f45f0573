"""`crewai.agents.agent_builder`: home of `BaseAgent`."""
