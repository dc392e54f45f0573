"""`crewai.types.usage_metrics`: `UsageMetrics` (the engine's token counts)."""

from desktop_app.engine import UsageMetrics

__all__ = ["UsageMetrics"]
