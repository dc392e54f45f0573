"""CrewDesk's engine: a CrewAI-compatible runtime with native async kickoff and streaming.

Change `from crewai import Crew, Agent, Task` to `from desktop_app.engine import Crew, Agent,
Task` and CrewAI's async examples run as they are. This package imports no Qt, and it
imports litellm only when a model needs it (providers without OpenAI's chat protocol; off
the event loop): OpenAI-compatible providers are called natively over httpx.
"""

from desktop_app.engine import bus
from desktop_app.engine._agent_loop import AgentStep
from desktop_app.engine._crewai_surface import IgnoredSetting
from desktop_app.engine._human_input import HumanInputHandler, HumanInputRequest
from desktop_app.engine._human_input import read_line as read_stdin_line
from desktop_app.engine._secrets_mask import mask as mask_secrets
from desktop_app.engine._secrets_mask import register_secrets
from desktop_app.engine.agent import Agent
from desktop_app.engine.budget import Budget, BudgetExceededError, BudgetMeter
from desktop_app.engine.builtin_tools import (
    DirectoryReadTool,
    FetchUrlTool,
    FileReadTool,
    known_tool_names,
    tool_by_name,
)
from desktop_app.engine.code_execution import CodeInterpreterTool, CodeLimits
from desktop_app.engine.crew import Crew, Process
from desktop_app.engine.errors import (
    CrewError,
    IgnoredSettingWarning,
    LLMError,
    MissingInputError,
    StreamNotFinishedError,
    TaskExecutionError,
    TaskTimeoutError,
)
from desktop_app.engine.events import RunEvent, RunEventAdapter
from desktop_app.engine.knowledge import (
    BaseKnowledgeSource,
    CSVKnowledgeSource,
    JSONKnowledgeSource,
    KnowledgeConfig,
    MarkdownKnowledgeSource,
    PDFKnowledgeSource,
    StringKnowledgeSource,
    TextFileKnowledgeSource,
)
from desktop_app.engine.llm import LLM, Embedder, force_llm_target
from desktop_app.engine.memory import MemoryConfig
from desktop_app.engine.outputs import (
    CrewOutput,
    LiteAgentOutput,
    OutputFormat,
    TaskOutput,
    UsageMetrics,
)
from desktop_app.engine.streaming import (
    CrewStreamingOutput,
    RunEventStream,
    StreamChunk,
    StreamChunkType,
    ToolCallChunk,
)
from desktop_app.engine.task import ConditionalTask, Task
from desktop_app.engine.tools import BaseTool, Tool, tool

__all__ = [
    "LLM",
    "Agent",
    "AgentStep",
    "BaseKnowledgeSource",
    "BaseTool",
    "Budget",
    "BudgetExceededError",
    "BudgetMeter",
    "CSVKnowledgeSource",
    "CodeInterpreterTool",
    "CodeLimits",
    "ConditionalTask",
    "Crew",
    "CrewError",
    "CrewOutput",
    "CrewStreamingOutput",
    "DirectoryReadTool",
    "Embedder",
    "FetchUrlTool",
    "FileReadTool",
    "HumanInputHandler",
    "HumanInputRequest",
    "IgnoredSetting",
    "IgnoredSettingWarning",
    "JSONKnowledgeSource",
    "KnowledgeConfig",
    "LLMError",
    "LiteAgentOutput",
    "MarkdownKnowledgeSource",
    "MemoryConfig",
    "MissingInputError",
    "OutputFormat",
    "PDFKnowledgeSource",
    "Process",
    "RunEvent",
    "RunEventAdapter",
    "RunEventStream",
    "StreamChunk",
    "StreamChunkType",
    "StreamNotFinishedError",
    "StringKnowledgeSource",
    "Task",
    "TaskExecutionError",
    "TaskTimeoutError",
    "TaskOutput",
    "TextFileKnowledgeSource",
    "Tool",
    "ToolCallChunk",
    "UsageMetrics",
    "bus",
    "force_llm_target",
    "known_tool_names",
    "mask_secrets",
    "read_stdin_line",
    "register_secrets",
    "tool",
    "tool_by_name",
]
