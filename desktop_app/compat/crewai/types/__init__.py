"""`crewai.types`: `usage_metrics` is what projects import from it."""
