"""Warnings for CrewAI tool settings CrewDesk accepts but does not use.

The mechanism is the engine's (`tools.warn_ignored`, which every `BaseTool` also uses for a
keyword it has no field for): the warning points at the user's line that made the tool.
"""

from __future__ import annotations

from desktop_app.engine.tools import warn_ignored

__all__ = ["warn_ignored"]
