"""`crewai.knowledge.knowledge`: `Knowledge`, a named set of knowledge sources.

CrewDesk indexes and searches knowledge inside runs, from the sources given to `Agent` or
`Crew` (`knowledge_sources=`). A `Knowledge` object holds its sources so they can be passed
on (`Crew(knowledge_sources=knowledge.sources)`); searching it outside a run is not offered.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from desktop_app.compat._hook import DOCS
from desktop_app.engine.knowledge import BaseKnowledgeSource


class Knowledge(BaseModel):
    """CrewAI's `Knowledge`: sources under a collection name.

    Attributes:
        collection_name: The name CrewAI stores the collection under.
        sources: The knowledge sources.
        embedder: CrewAI's embedder setting (pass it to `Crew(embedder=...)`).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    collection_name: str | None = None
    sources: list[BaseKnowledgeSource] = Field(default_factory=list)
    embedder: dict[str, Any] | None = None

    def query(self, query: list[str], results_limit: int = 5, score_threshold: float = 0.6) -> Any:
        """Not offered: CrewDesk searches knowledge inside runs only.

        Raises:
            NotImplementedError: Always.
        """
        raise NotImplementedError(
            "Knowledge.query() is not supported by CrewDesk: give the sources to an Agent or "
            f"Crew (knowledge_sources=...) and they are searched for each task. See {DOCS}."
        )


__all__ = ["Knowledge"]
