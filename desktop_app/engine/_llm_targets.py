"""Where LLM calls go: the defaults CrewAI reads from the environment, and the targets a
caller may force (process-wide or per context) or route per call.

`LLM.target()` and `Embedder` read `current_forced()` and `current_route()` at each call, so
a forced or routed target applies to every LLM, including those a CrewAI project's code
builds itself.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from desktop_app.engine._secrets_mask import register_secrets


def default_model() -> str:
    """The model used when an agent names none, as CrewAI chooses it."""
    return os.environ.get("MODEL") or os.environ.get("OPENAI_MODEL_NAME") or "gpt-4o-mini"


def default_base_url() -> str | None:
    """The base URL from the environment, as CrewAI reads it."""
    return os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or None


@dataclass(frozen=True, slots=True)
class LLMTarget:
    """Where an LLM call goes: the model string, base URL and key (None: not set)."""

    model: str
    base_url: str | None
    api_key: str | None


@dataclass(frozen=True, slots=True)
class Forced:
    """A forced target: each field None keeps the LLM's own (see `force_llm_target`)."""

    model: str | None
    base_url: str | None
    api_key: str | None


_forced: Forced | None = None
_forced_lock = threading.Lock()
_forced_here: ContextVar[Forced | None] = ContextVar("crewdesk_forced_llm", default=None)
"""`force_llm_target_here`'s target: wins over the process's (`force_llm_target`)."""


@contextmanager
def force_llm_target(
    model: str | None, base_url: str | None, api_key: str | None
) -> Iterator[None]:
    """Sends every LLM and embedding call of the process to one target while active.

    Process-wide, on every thread and loop: agents, managers, planners and embedders that
    build their own `LLM("gpt-4o")` (a CrewAI project's code) all go there. `crewdesk run
    --simulator` uses it. `model` None keeps each LLM's model; `base_url` None keeps each
    LLM's base URL (and its key, unless `api_key` is given); with a `base_url`, `api_key` is
    the only key sent, so a provider's key never goes to the forced endpoint. Nested uses
    restore the previous target when they end.
    """
    global _forced
    register_secrets([api_key])
    with _forced_lock:
        previous = _forced
        _forced = Forced(model, base_url, api_key)
    try:
        yield
    finally:
        with _forced_lock:
            _forced = previous


@contextmanager
def force_llm_target_here(
    model: str | None, base_url: str | None, api_key: str | None
) -> Iterator[None]:
    """As `force_llm_target`, but only for the code running in this context and what it
    starts (a `ContextVar`: tasks, `asyncio.to_thread`, a flow's steps and the crews they
    kick off), so one dry run's calls go to the simulator while a real run beside it on the
    same loop keeps its provider. The app's flow dry runs use it."""
    register_secrets([api_key])
    token = _forced_here.set(Forced(model, base_url, api_key))
    try:
        yield
    finally:
        _forced_here.reset(token)


def current_forced() -> Forced | None:
    """The forced target in effect here: this context's, else the process's, else None."""
    return _forced_here.get() or _forced


LLMRoute = Callable[[LLMTarget], "LLMTarget | None"]
"""Where an LLM's own target goes instead (None: as it is); see `route_llm_targets_here`."""

_route_here: ContextVar[LLMRoute | None] = ContextVar("crewdesk_llm_route", default=None)


@contextmanager
def route_llm_targets_here(route: LLMRoute) -> Iterator[None]:
    """Routes the chat calls made in this context and what it starts (tasks, worker threads,
    a flow's steps and their crews): `route` is given each LLM's own target and returns where
    the call goes, or None to leave it. A forced target (`force_llm_target*`) wins.

    The app's real flow runs use it: a flow's crews are made by the project's code, so their
    models are sent to the configured providers with the keychain's keys at call time.
    `route` runs for every call, on the caller's loop: it must not block (read keys first).
    """
    token = _route_here.set(route)
    try:
        yield
    finally:
        _route_here.reset(token)


def current_route() -> LLMRoute | None:
    """The route of `route_llm_targets_here` in effect here, or None."""
    return _route_here.get()
