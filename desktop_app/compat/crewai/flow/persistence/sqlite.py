"""`crewai.flow.persistence.sqlite`: flow states in a SQLite file."""

from __future__ import annotations

from desktop_app.engine.flow.persistence import SQLiteFlowPersistence

__all__ = ["SQLiteFlowPersistence"]
