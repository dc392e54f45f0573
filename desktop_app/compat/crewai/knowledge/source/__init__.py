"""`crewai.knowledge.source`: knowledge source classes, one module each as in CrewAI."""
