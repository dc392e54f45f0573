"""What the user reads when a run fails: the error with every key scrubbed out, and whose
key a provider refused (so the run's panel can open Settings at that provider)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.engine import LLMError
    from desktop_app.ui.controllers.crew_factory import BuiltCrew

__all__ = ["describe_error", "error_kind", "refused_provider"]


def describe_error(exc: BaseException, secrets: list[str]) -> tuple[str, bool]:
    """A message for the user about a failed run, with every key scrubbed out.

    Returns:
        The message, and whether the provider refused the key (an auth failure).
    """
    from desktop_app.engine import mask_secrets, register_secrets

    register_secrets(secrets)
    message = mask_secrets(str(exc) or type(exc).__name__)  # every key the process knows
    for secret in secrets:
        if secret:
            message = message.replace(secret, "•••")  # one too short to register
    return message, _refused_key(exc) is not None


def error_kind(exc: BaseException) -> str | None:
    """The `LLMError` kind behind a failed run's error (None: no model call failed); the
    history keeps a run the network cut off as one to offer again."""
    from desktop_app.engine.errors import llm_error_kind

    return llm_error_kind(exc)


def refused_provider(exc: BaseException, built: BuiltCrew | None) -> tuple[str, str]:
    """Whose key was refused, when `exc` is an auth failure.

    Returns:
        The id of the configured provider that holds the key ("" when none of the settings'
        providers serves the model) and a name for the user (its display name, else the
        provider as litellm names it); two empty strings when no key was refused.
    """
    cause = _refused_key(exc)
    if cause is None:
        return "", ""
    configured = built.provider_of(cause.model) if built is not None else None
    if configured is None:
        return "", cause.provider
    return configured.id, configured.display_name or configured.id


def _refused_key(exc: BaseException) -> LLMError | None:
    from desktop_app.engine import LLMError, TaskExecutionError

    cause = exc.cause if isinstance(exc, TaskExecutionError) else exc
    return cause if isinstance(cause, LLMError) and cause.kind == "auth" else None
