"""CrewDesk: design, run and watch crews of LLM agents."""

__version__ = "0.1.0"
