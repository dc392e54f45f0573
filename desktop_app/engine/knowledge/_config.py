"""How knowledge is retrieved: `KnowledgeConfig`, as CrewAI's."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class KnowledgeConfig(BaseModel):
    """How knowledge is retrieved, as CrewAI's `KnowledgeConfig`.

    Attributes:
        results_limit: Chunks put into a task's prompt.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    results_limit: int = Field(default=3, ge=1)
