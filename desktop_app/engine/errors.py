"""Errors the engine raises, each with a message meant for the user."""

from __future__ import annotations

from typing import Literal, TypeAlias

from desktop_app.engine._secrets_mask import mask

LLMErrorKind: TypeAlias = Literal[
    "auth",
    "rate_limit",
    "server",
    "timeout",
    "connection",
    "stream_dropped",
    "malformed",
    "bad_request",
    "not_found",
    "other",
]

RETRYABLE_KINDS: frozenset[LLMErrorKind] = frozenset(
    {"rate_limit", "server", "timeout", "connection"}
)

NETWORK_KINDS: frozenset[LLMErrorKind] = frozenset({"connection", "timeout", "stream_dropped"})
"""The kinds of a call the network cut off (the provider was not reached, did not answer in
time, or its stream broke off): a run failed with one is offered for resuming."""


class CrewError(Exception):
    """Base of every error the engine raises on purpose."""


class MissingInputError(CrewError, ValueError):
    """A `{placeholder}` has no value in the inputs.

    Attributes:
        placeholder: The name inside the braces.
        location: Where it is, e.g. "task 'Research' description".
    """

    def __init__(self, placeholder: str, location: str) -> None:
        self.placeholder = placeholder
        self.location = location
        super().__init__(
            f"Missing input '{placeholder}': the placeholder {{{placeholder}}} in {location} "
            f"has no value. Pass it in kickoff(inputs={{'{placeholder}': ...}})."
        )


class LLMError(CrewError):
    """A call to a model provider failed.

    Attributes:
        kind: What went wrong, e.g. "auth" or "rate_limit".
        provider: The provider's name as litellm knows it, e.g. "openai".
        model: The model string of the call.
        status_code: The HTTP status, when there was one.
        retry_after: Seconds the provider asked us to wait, when it said so.
        provider_message: The provider's own words.
    """

    def __init__(
        self,
        kind: LLMErrorKind,
        provider_message: str,
        *,
        provider: str,
        model: str,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.kind: LLMErrorKind = kind
        self.provider = provider
        self.model = model
        self.status_code = status_code
        self.retry_after = retry_after
        self.provider_message = mask(provider_message)  # a provider may echo the key
        super().__init__(self._describe())

    @property
    def retryable(self) -> bool:
        """Whether trying the same call again may succeed."""
        return self.kind in RETRYABLE_KINDS

    def _describe(self) -> str:
        who = f"{self.provider} ({self.model})"
        status = f" [HTTP {self.status_code}]" if self.status_code else ""
        headline = {
            "auth": f"the key for {self.provider} was refused; check it in Settings",
            "rate_limit": f"{who} is rate limiting requests",
            "server": f"{who} had a server error",
            "timeout": f"{who} did not answer in time",
            "connection": f"could not reach {who}",
            "stream_dropped": f"the stream from {who} was cut off before the answer was complete",
            "malformed": f"{who} sent a malformed response",
            "bad_request": f"{who} rejected the request",
            "not_found": f"{who} does not know this model or endpoint",
            "other": f"the call to {who} failed",
        }[self.kind]
        return f"{headline}{status}: {self.provider_message}"


class TaskExecutionError(CrewError):
    """A task failed; says which task and which agent, and keeps the cause.

    Attributes:
        task_index: Index of the task in the crew (0-based).
        task_name: The task's name, or None.
        agent_role: Role of the agent doing the task.
        cause: The underlying error.
    """

    def __init__(
        self, task_index: int, task_name: str | None, agent_role: str, cause: BaseException
    ) -> None:
        self.task_index = task_index
        self.task_name = task_name
        self.agent_role = agent_role
        self.cause = cause
        label = f"'{task_name}'" if task_name else f"{task_index + 1}"
        super().__init__(mask(f"Task {label} (agent '{agent_role}') failed: {cause}"))


class StreamNotFinishedError(CrewError, RuntimeError):
    """`.result` was read before the streaming output was consumed to its end."""


class IgnoredSettingWarning(UserWarning):
    """A CrewAI setting CrewDesk accepts but does not act on (or a keyword CrewAI does not
    have). The message names the object, the parameter and why; the object keeps the list
    (`ignored_settings()`), and every run reports it as a `SettingIgnored` event."""


class TaskTimeoutError(CrewError, TimeoutError):
    """An agent worked on a task longer than its `max_execution_time`.

    Attributes:
        agent_role: The agent's role.
        limit: The limit in seconds.
    """

    def __init__(self, agent_role: str, limit: float) -> None:
        self.agent_role = agent_role
        self.limit = limit
        super().__init__(
            f"agent '{agent_role}' did not finish within its max_execution_time of {limit:g} "
            "seconds; increase max_execution_time or make the task smaller"
        )


def llm_error_kind(exc: BaseException) -> LLMErrorKind | None:
    """The kind of the `LLMError` behind `exc` (itself, a failed task's cause, or an error
    it was raised from), or None when no model call failed."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, LLMError):
            return current.kind
        seen.add(id(current))
        current = current.cause if isinstance(current, TaskExecutionError) else current.__cause__
    return None
