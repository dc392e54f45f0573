"""`crewai.knowledge`: knowledge sources for agents and crews (the engine's)."""
