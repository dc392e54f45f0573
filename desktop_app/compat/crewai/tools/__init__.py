"""`crewai.tools`: `BaseTool`, `@tool` and `EnvVar`, on the engine's tools."""

from desktop_app.compat.crewai.tools.base_tool import BaseTool, EnvVar, Tool, tool

__all__ = ["BaseTool", "EnvVar", "Tool", "tool"]
