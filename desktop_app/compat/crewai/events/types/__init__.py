"""`crewai.events.types`: CrewAI's event classes by module (see `crewai.events`)."""
