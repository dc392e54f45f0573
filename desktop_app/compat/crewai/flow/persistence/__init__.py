"""`crewai.flow.persistence`: `@persist` and its backends, on CrewDesk's engine.

`SQLiteFlowPersistence()` keeps states in the app's data folder
(`<data>/flows/flow_states.db`) unless given a file.
"""

from __future__ import annotations

from desktop_app.engine.flow.persistence import (
    FlowPersistence,
    SQLiteFlowPersistence,
    persist,
)

__all__ = ["FlowPersistence", "SQLiteFlowPersistence", "persist"]
