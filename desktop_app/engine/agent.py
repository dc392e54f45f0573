"""`Agent`: who does a task, with CrewAI's fields.

An `Agent` holds configuration only. Everything a run changes lives in that run's own
state, so one agent can work on many tasks and crews at the same time.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from desktop_app.engine.knowledge import BaseKnowledgeSource, KnowledgeConfig
from desktop_app.engine.llm import LLM, default_base_url, default_model
from desktop_app.engine.tools import BaseTool


class Agent(BaseModel):
    """An agent, as CrewAI's `Agent`.

    Attributes:
        role: What the agent is ("Python Data Analyst"); may hold `{placeholders}`.
        goal: What it aims for; may hold `{placeholders}`.
        backstory: Who it is; may hold `{placeholders}`.
        llm: An `LLM`, a litellm model string, or None for the default model from the
            environment (`MODEL`, then `OPENAI_MODEL_NAME`, else "gpt-4o-mini").
        tools: Tools it may call.
        allow_code_execution: Gives it a tool that runs Python code in a separate process.
        max_iter: Most LLM calls with tool use for one task before a final answer is forced.
        verbose: Log what the agent does.
        knowledge_sources: Knowledge only this agent draws on (beside the crew's).
        knowledge_config: How many knowledge chunks go into its prompts.
    """

    model_config = ConfigDict(
        arbitrary_types_allowed=True, validate_assignment=True, defer_build=True
    )

    role: str
    goal: str
    backstory: str
    llm: LLM | None = None
    tools: list[BaseTool] = Field(default_factory=list)
    allow_code_execution: bool = False
    max_iter: int = Field(default=25, ge=1)
    verbose: bool = False
    knowledge_sources: list[BaseKnowledgeSource] = Field(default_factory=list)
    knowledge_config: KnowledgeConfig | None = None

    @field_validator("llm", mode="before")
    @classmethod
    def _llm_from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return LLM(model=value)
        return value

    def resolved_llm(self) -> LLM:
        """The LLM this agent calls: its own, or the default from the environment."""
        if self.llm is not None:
            return self.llm
        return LLM(model=default_model(), base_url=default_base_url())

    def all_tools(self) -> list[BaseTool]:
        """Its tools, plus the code interpreter when code execution is allowed."""
        tools = list(self.tools)
        if self.allow_code_execution:
            from desktop_app.engine.code_execution import CodeInterpreterTool

            tools.append(CodeInterpreterTool())
        return tools

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other
