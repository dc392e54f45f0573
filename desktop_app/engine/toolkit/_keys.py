"""Where the toolkit's tools find their API keys (contract C4).

A tool asks `key_for("SERPER_API_KEY")` when it runs, never when it is made, so a project
loads without its keys and the model (and the run's panel) get a clear error naming the
variable. The CLI and the app install a source backed by the keychain with
`set_key_source`; an environment variable that is set wins over it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from desktop_app.engine._secrets_mask import register_secrets

__all__ = ["TOOL_KEY_NAMES", "MissingKeyError", "key_for", "require_key", "set_key_source"]

KeySource = Callable[[str], str | None]

TOOL_KEY_NAMES = ("SERPER_API_KEY", "TAVILY_API_KEY", "EXA_API_KEY", "BRAVE_API_KEY")
"""Every variable a toolkit tool reads its key from (each network module's `KEY_ENV`), for
Settings to offer and for checks that a project's keys are somewhere."""

_lock = threading.Lock()
_source: KeySource | None = None


class MissingKeyError(ValueError):
    """A tool needs a key that is neither in the environment nor in Settings.

    A `ValueError`, not a `CrewError`: it goes back to the model as the tool's error and is
    shown on the run's panel; the run goes on.
    """


def set_key_source(source: KeySource | None) -> None:
    """Installs (or, with None, removes) the lookup used after the environment.

    Args:
        source: Takes a variable name ("SERPER_API_KEY"), returns the key or None.
    """
    global _source
    with _lock:
        _source = source


def key_for(env_name: str) -> str | None:
    """The key named `env_name`: the environment variable if set, else the installed source.

    A source that fails counts as "no key" (a locked keychain must not break a tool run
    beyond the clear error that follows).
    """
    value = os.environ.get(env_name, "").strip()
    if value:
        register_secrets([value])
        return value
    with _lock:
        source = _source
    if source is None:
        return None
    try:
        found = source(env_name)
    except Exception:  # noqa: BLE001 - a failing keychain is reported as a missing key
        return None
    key = found.strip() if found and found.strip() else None
    register_secrets([key])
    return key


def require_key(env_name: str, tool_name: str, given: str | None = None) -> str:
    """`given` when the tool was made with a key, else `key_for(env_name)`.

    Raises:
        MissingKeyError: No key; the message names the variable and where to set it.
    """
    if given:
        register_secrets([given])
        return given
    key = key_for(env_name)
    if key is None:
        raise MissingKeyError(
            f"{tool_name} needs an API key: set the environment variable {env_name} "
            f"(or add {env_name} in CrewDesk's Settings, under tool keys)"
        )
    return key
