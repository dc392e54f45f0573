"""`crewai.flow.flow`: the historical path of CrewAI's `Flow` and its decorators."""

from __future__ import annotations

from desktop_app.compat._unsupported import unsupported_name
from desktop_app.engine.flow import Flow, FlowState, and_, listen, or_, router, start


def __getattr__(name: str) -> object:
    raise unsupported_name(__name__, name)


__all__ = ["Flow", "FlowState", "and_", "listen", "or_", "router", "start"]
