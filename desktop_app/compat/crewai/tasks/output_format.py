"""`crewai.tasks.output_format`: `OutputFormat`, as CrewAI's."""

from enum import StrEnum


class OutputFormat(StrEnum):
    """The form of a task's output: JSON dict, pydantic model, or raw text."""

    JSON = "json"
    PYDANTIC = "pydantic"
    RAW = "raw"


__all__ = ["OutputFormat"]
