"""`crewai.types.streaming`: the types of streamed crews and flows, as the engine's.

`StreamFrame`, `StreamSession`, `AsyncStreamSession` and `StreamChannel` are the engine's
flow streaming (`desktop_app.engine.flow`); `CrewStreamingOutput`, `StreamChunk`,
`StreamChunkType` and `ToolCallChunk` its crew streaming (`desktop_app.engine.streaming`).
`FlowStreamingOutput` (a wrapper CrewAI keeps for iterators users build themselves; a flow's
kickoff returns a `StreamSession`) is not provided: importing it says so.
"""

from __future__ import annotations

from desktop_app.compat._hook import DOCS
from desktop_app.compat._unsupported import unsupported_name
from desktop_app.engine.flow import (
    AsyncStreamSession,
    StreamChannel,
    StreamFrame,
    StreamSession,
)
from desktop_app.engine.streaming import (
    CrewStreamingOutput,
    StreamChunk,
    StreamChunkType,
    ToolCallChunk,
)


def __getattr__(name: str) -> object:
    if name in ("FlowStreamingOutput", "StreamingOutputBase", "StreamSessionBase"):
        raise ImportError(
            f"crewai.types.streaming.{name} is not provided by CrewDesk: a flow with "
            "stream=True returns a StreamSession (kickoff) or an AsyncStreamSession "
            f"(kickoff_async, akickoff, astream) of StreamFrames, as CrewAI 1.15's. See {DOCS}.",
            name="crewai.types.streaming")
    raise unsupported_name(__name__, name)


__all__ = [
    "AsyncStreamSession",
    "CrewStreamingOutput",
    "StreamChannel",
    "StreamChunk",
    "StreamChunkType",
    "StreamFrame",
    "StreamSession",
    "ToolCallChunk",
]
