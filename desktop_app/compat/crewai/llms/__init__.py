"""`crewai.llms`: the package of CrewAI's LLM classes; `base_llm` is what projects import."""
