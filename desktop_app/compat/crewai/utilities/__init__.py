"""`crewai.utilities`: only `crewai.utilities.events`, the events' path before CrewAI 0.150."""
