"""`crewai.flow`: CrewAI's Flows, on CrewDesk's engine (`desktop_app.engine.flow`).

`start`, `listen`, `router`, `or_`, `and_`, `persist` and `human_feedback` are the engine's
own objects; `Flow` is the engine's with CrewAI's `stream_events` (frames; `crewai.flow.flow`).
Other names of CrewAI's package (conversational flows, input providers) raise an
`ImportError` naming them.
"""

from __future__ import annotations

from desktop_app.compat._unsupported import unsupported_name
from desktop_app.compat.crewai.flow.flow import Flow
from desktop_app.engine.flow import (
    FlowState,
    HumanFeedbackResult,
    and_,
    human_feedback,
    listen,
    or_,
    persist,
    router,
    start,
)

_CREWAI_ONLY = frozenset({
    "AgentMessage", "ChatState", "ConsoleProvider", "ConversationConfig", "ConversationEvent",
    "ConversationMessage", "ConversationState", "ConversationalConfig", "ConversationalInputs",
    "Expression", "FlowStructure", "HumanFeedbackPending", "HumanFeedbackProvider",
    "InputProvider", "InputResponse", "PendingFeedbackContext",
    "RouterConfig", "build_flow_structure", "flow_config", "visualize_flow_structure",
})
"""Names of CrewAI 1.15's `crewai.flow` that CrewDesk does not provide."""


def __getattr__(name: str) -> object:
    if name in _CREWAI_ONLY:
        raise ImportError(
            f"crewai.flow.{name} is not supported by CrewDesk (conversational flows, input "
            "and feedback providers, flow_config and CrewAI's visualization helpers are not "
            "provided; Flow.plot() draws a flow). See docs/COMPATIBILITY.md.",
            name="crewai.flow")
    raise unsupported_name(__name__, name)


__all__ = [
    "Flow",
    "FlowState",
    "HumanFeedbackResult",
    "and_",
    "human_feedback",
    "listen",
    "or_",
    "persist",
    "router",
    "start",
]
