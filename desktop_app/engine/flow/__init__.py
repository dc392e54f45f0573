"""Flows: CrewAI's event-driven workflows of steps (`crewai.flow`), on CrewDesk's engine.

    from desktop_app.engine.flow import Flow, start, listen, router, or_, and_, persist

Qt-free; steps may kick off crews (`crew.kickoff()` in a sync step, `await crew.akickoff()`
in an async one). See `flow.Flow` for running one, `persistence` for `@persist`; a flow with
`stream = True` hands out `StreamFrame`s in a `StreamSession` / `AsyncStreamSession`.
"""

from desktop_app.engine.flow._dsl import and_, listen, or_, router, start
from desktop_app.engine.flow._feedback import (
    HumanFeedbackRequest,
    HumanFeedbackResult,
    human_feedback,
)
from desktop_app.engine.flow._frames import StreamChannel, StreamFrame
from desktop_app.engine.flow._graph import FlowGraph, Step, graph_of
from desktop_app.engine.flow._state import FlowState
from desktop_app.engine.flow._streaming import AsyncStreamSession, StreamSession
from desktop_app.engine.flow.flow import Flow
from desktop_app.engine.flow.persistence import (
    FlowPersistence,
    SQLiteFlowPersistence,
    persist,
)

__all__ = [
    "AsyncStreamSession",
    "Flow",
    "FlowGraph",
    "FlowPersistence",
    "FlowState",
    "HumanFeedbackRequest",
    "HumanFeedbackResult",
    "SQLiteFlowPersistence",
    "Step",
    "StreamChannel",
    "StreamFrame",
    "StreamSession",
    "and_",
    "graph_of",
    "human_feedback",
    "listen",
    "or_",
    "persist",
    "router",
    "start",
]

