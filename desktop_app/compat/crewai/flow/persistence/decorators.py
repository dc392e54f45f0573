"""`crewai.flow.persistence.decorators`: `@persist`."""

from __future__ import annotations

from desktop_app.engine.flow.persistence import persist

__all__ = ["persist"]
