"""The "Test connection" check: one tiny request through the engine's LLM client.

No Qt here. The key is passed in and never logged or kept.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from desktop_app.engine import LLM, LLMError

TEST_TIMEOUT_S = 20.0
"""How long a connection test may take in all."""


@dataclass(frozen=True)
class ConnectionResult:
    """What a connection test found.

    Attributes:
        ok: True when the provider answered.
        message: For the user: the model's first words, or what went wrong.
    """

    ok: bool
    message: str


async def check_connection(
    model: str, base_url: str | None, api_key: str | None, *, wait_s: float = TEST_TIMEOUT_S
) -> ConnectionResult:
    """Sends "ping" to the model and reports whether it answered.

    Args:
        model: A litellm model string, e.g. "openai/gpt-4o-mini".
        base_url: The provider's base URL, or None for its own.
        api_key: The key to try, or None (local servers, or litellm reads the environment).
        wait_s: Seconds to wait for the answer.

    Returns:
        ok and the start of the answer, or not ok and the error for the user.
    """
    if not model.strip():
        return ConnectionResult(False, "Choose a model first.")
    llm = LLM(model.strip(), base_url=base_url or None, api_key=api_key or None,
              timeout=wait_s, max_retries=0)
    try:
        result = await asyncio.wait_for(
            llm.acall([{"role": "user", "content": "ping"}]), wait_s
        )
    except LLMError as exc:
        return ConnectionResult(False, _explain(exc, base_url))
    except (OSError, ValueError) as exc:
        return ConnectionResult(False, str(exc))
    except TimeoutError:
        return ConnectionResult(False, f"No answer within {wait_s:.0f} s.")
    text = " ".join(result.text.split())
    preview = text[:60] + ("…" if len(text) > 60 else "")
    return ConnectionResult(True, f"Connected: {model} answered “{preview}”.")


def _explain(error: LLMError, base_url: str | None) -> str:
    """The failure in the user's terms: a missing key and an unreachable server are not
    the provider's errors, so they say what to do instead of showing a status."""
    if error.kind == "auth" and error.status_code is None:
        return ("No API key was given: type the provider's key above (or store it), then "
                f"test again. ({error.provider_message})")
    if error.kind == "connection":
        where = base_url or f"{error.provider}'s server"
        return (f"Could not reach {where}: check the address and the network connection. "
                f"({error.provider_message})")
    return str(error)
