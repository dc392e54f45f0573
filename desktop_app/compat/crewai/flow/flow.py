"""`crewai.flow.flow`: CrewAI's `Flow` (and, by its historical path, the decorators).

`Flow` is the engine's `desktop_app.engine.flow.Flow` with CrewAI's meaning of one name:
`stream_events(inputs)` returns a `StreamSession` of frames (CrewAI 1.15's flow streaming),
where the engine's own `stream_events` gives CrewDesk's typed events. Everything else is the
engine's, and the app and the CLI read any flow's typed events through `run_events`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from desktop_app.compat._unsupported import unsupported_name
from desktop_app.engine import flow as engine_flow
from desktop_app.engine.flow import FlowState, StreamSession, and_, listen, or_, router, start

T = TypeVar("T", bound="dict[str, Any] | BaseModel")


class Flow(engine_flow.Flow[T]):
    """CrewAI's `Flow`: the engine's, whose `stream_events` streams frames as CrewAI's."""

    def stream_events(self, inputs: dict[str, Any] | None = None  # type: ignore[override]
                      ) -> StreamSession[Any]:
        """Runs the flow and returns its frames to read with `for` (CrewAI's
        `Flow.stream_events`; see `desktop_app.engine.flow.Flow.stream_frames`)."""
        return self.stream_frames(inputs)


def __getattr__(name: str) -> object:
    raise unsupported_name(__name__, name)


__all__ = ["Flow", "FlowState", "and_", "listen", "or_", "router", "start"]
