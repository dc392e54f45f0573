"""`crewai.flow.persistence.base`: the interface of flow state backends."""

from __future__ import annotations

from desktop_app.engine.flow.persistence import FlowPersistence

__all__ = ["FlowPersistence"]
