"""`crewai.types`: `usage_metrics` and `streaming` are what projects import from it."""
