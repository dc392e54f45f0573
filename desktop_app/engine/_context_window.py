"""`Agent(respect_context_window=...)`: what happens when a task's conversation outgrows
the model's context window.

The provider says so with an error (HTTP 400 "maximum context length ...", litellm's
`ContextWindowExceededError`), which the engine receives as an `LLMError`; it is recognised
by CrewAI's phrases (`CONTEXT_LIMIT_ERRORS`).

- `respect_context_window=True` (the default), as CrewAI's `summarize_messages`: every
  message but the system prompt is summarized by the agent's model with CrewAI's summarizer
  texts, and the conversation goes on from the system prompt and one user message holding
  the summary. CrewAI cuts the conversation into chunks that fit a context size it looks up
  in a model table; CrewDesk, which has no such table, asks for the summary of the whole
  text and halves a piece whenever the summary request is itself too long, then joins the
  summaries in order. The failed call is then made again, once (`call_fitting`).
- `respect_context_window=False`: the task fails with `ContextWindowExceededError`, which
  names the agent and says what to do (CrewAI ends the program with a similar message).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from desktop_app.engine._behaviours import call_aside
from desktop_app.engine.errors import CrewError, LLMError
from desktop_app.engine.llm import LLMResult, Message

if TYPE_CHECKING:
    from desktop_app.engine._run_state import PreparedAgent, RunState, TaskMeta

log = logging.getLogger("desktop_app.engine")

CONTEXT_LIMIT_ERRORS = (
    "expected a string with maximum length",
    "maximum context length",
    "context length exceeded",
    "context_length_exceeded",
    "context window full",
    "too many tokens",
    "input is too long",
    "exceeds token limit",
)
"""CrewAI's phrases of a context-window error, compared lower-cased."""

SUMMARIZER_SYSTEM_MESSAGE = (
    "You are a precise assistant that creates structured summaries of agent conversations. "
    "You preserve critical context needed for seamless task continuation."
)
SUMMARIZE_INSTRUCTION = (
    "Analyze the following conversation and create a structured summary that preserves all "
    "information needed to continue the task seamlessly.\n\n<conversation>\n{conversation}\n"
    "</conversation>\n\nCreate a summary with these sections:\n1. **Task Overview**: What is "
    "the agent trying to accomplish?\n2. **Current State**: What has been completed so far? "
    "What step is the agent on?\n3. **Important Discoveries**: Key facts, data, tool results, "
    "or findings that must not be lost.\n4. **Next Steps**: What should the agent do next "
    "based on the conversation?\n5. **Context to Preserve**: Any specific values, names, URLs, "
    "code snippets, or details referenced in the conversation.\n\nWrap your entire summary in "
    "<summary> tags.\n\n<summary>\n[Your structured summary here]\n</summary>"
)
SUMMARY = (
    "<summary>\n{merged_summary}\n</summary>\n\nContinue the task from where the conversation "
    "left off. The above is a structured summary of prior context."
)
MAX_SPLIT_DEPTH = 6
"""Most times a piece of the conversation is halved (64 pieces) before giving up."""
MIN_SPLIT_CHARS = 500
"""A piece this short is not halved again: the summary request is too long for the model
because of its own instructions, and smaller pieces would not help."""
_SUMMARY_TAGS = re.compile(r"<summary>(.*?)</summary>", re.DOTALL)


class ContextWindowExceededError(CrewError):
    """A task's conversation is longer than its model's context window.

    Attributes:
        agent_role: The agent whose conversation it is.
        provider_message: What the provider said.
    """

    def __init__(self, agent_role: str, provider_message: str, *, summarized: bool) -> None:
        self.agent_role = agent_role
        self.provider_message = provider_message
        if summarized:
            advice = (
                "even after it was summarized (respect_context_window=True); use a model with "
                "a larger context window, or smaller inputs or tool outputs"
            )
        else:
            advice = (
                "and respect_context_window=False, so CrewDesk does not summarize it; set "
                "respect_context_window=True, or use smaller inputs or RAG tools"
            )
        super().__init__(
            f"Agent '{agent_role}': the conversation is longer than the model's context "
            f"window {advice}. The provider said: {provider_message}"
        )


def is_context_overflow(error: BaseException) -> bool:
    """Whether `error` is a provider saying the request is too long for the model."""
    if not isinstance(error, LLMError):
        return False
    text = f"{error.provider_message} {error}".lower()
    return any(phrase in text for phrase in CONTEXT_LIMIT_ERRORS)


async def fit_conversation(
    agent: PreparedAgent,
    messages: list[Message],
    state: RunState,
    meta: TaskMeta,
    error: LLMError,
) -> None:
    """Makes `messages` fit again (in place) by summarizing them, or fails as the agent's
    `respect_context_window` says.

    Raises:
        ContextWindowExceededError: The agent does not allow summaries, or the conversation
            could not be summarized small enough.
    """
    if not agent.behaviour.respect_context_window:
        raise ContextWindowExceededError(agent.role, error.provider_message, summarized=False)
    system = [m for m in messages if m.get("role") == "system"]
    work = [m for m in messages if m.get("role") != "system"]
    if not work:
        raise ContextWindowExceededError(agent.role, error.provider_message, summarized=True)
    log.warning(
        "Context length exceeded (agent '%s'). Summarizing content to fit the model context "
        "window.", agent.role,
    )
    summary = await _summarize(agent, conversation_text(work), state, meta, 0)
    messages[:] = [*system, {"role": "user", "content": SUMMARY.format(merged_summary=summary)}]


async def call_fitting(
    agent: PreparedAgent,
    messages: list[Message],
    state: RunState,
    meta: TaskMeta,
    request: Callable[[], Awaitable[LLMResult]],
) -> LLMResult:
    """Makes the task's call `request`; when the conversation (`messages`) is too long for
    the model, fits it (`fit_conversation`) and makes the call once more.

    Raises:
        ContextWindowExceededError: It does not fit, and cannot be made to.
    """
    try:
        return await request()
    except LLMError as error:
        if not is_context_overflow(error):
            raise
        await fit_conversation(agent, messages, state, meta, error)
    try:
        return await request()
    except LLMError as error:
        if is_context_overflow(error):
            raise ContextWindowExceededError(
                agent.role, error.provider_message, summarized=True
            ) from error
        raise


def conversation_text(messages: list[Message]) -> str:
    """The messages as one text ("role: content" blocks), tool calls included."""
    blocks = []
    for message in messages:
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            text += f"\n[tool call {function.get('name')}: {function.get('arguments')}]"
        blocks.append(f"{message.get('role', 'user')}: {text.strip()}")
    return "\n\n".join(blocks)


async def _summarize(
    agent: PreparedAgent, text: str, state: RunState, meta: TaskMeta, depth: int
) -> str:
    request: list[Message] = [
        {"role": "system", "content": SUMMARIZER_SYSTEM_MESSAGE},
        {"role": "user", "content": SUMMARIZE_INSTRUCTION.format(conversation=text)},
    ]
    try:
        result = await call_aside(
            agent.llm, request, state, meta=meta, limiter=agent.behaviour.limiter
        )
    except LLMError as exc:
        if not is_context_overflow(exc):
            raise
        if depth >= MAX_SPLIT_DEPTH or len(text) < MIN_SPLIT_CHARS:
            raise ContextWindowExceededError(
                agent.role, exc.provider_message, summarized=True
            ) from exc
        middle = len(text) // 2
        first = await _summarize(agent, text[:middle], state, meta, depth + 1)
        second = await _summarize(agent, text[middle:], state, meta, depth + 1)
        return f"{first}\n\n{second}"
    found = _SUMMARY_TAGS.search(result.text)
    return (found.group(1) if found else result.text).strip()
