"""Errors for CrewAI names CrewDesk does not offer, each saying what to use instead."""

from __future__ import annotations

from desktop_app.compat._hook import DOCS

_INSTEAD: dict[str, str] = {
    "Memory": (
        "CrewAI's unified Memory object is not supported by CrewDesk: use Crew(memory=True) "
        "(and MemoryConfig from desktop_app.engine.memory for where it is stored)"
    ),
    "ShortTermMemory": "use Crew(memory=True): CrewDesk keeps short-term memory per crew",
    "LongTermMemory": "use Crew(memory=True): CrewDesk keeps long-term memory per crew",
    "EntityMemory": "use Crew(memory=True): CrewDesk keeps entity memory per crew",
    "ExternalMemory": "external memory providers are not supported; use Crew(memory=True)",
    "LLMGuardrail": (
        "LLMGuardrail is not supported by CrewDesk: give the task the requirement as text "
        "(Task(guardrail='The answer cites its sources')), which the agent's model checks"
    ),
    "PlanningConfig": (
        "PlanningConfig is not supported by CrewDesk: use Agent(reasoning=True, "
        "max_reasoning_attempts=...) or Crew(planning=True, planning_llm=...)"
    ),
    "RuntimeState": "RuntimeState (checkpoints) is not supported by CrewDesk",
    "ExecutionContext": "ExecutionContext is not supported by CrewDesk",
    "Entity": "checkpoint entities are not supported by CrewDesk",
    "LiteAgent": "LiteAgent is not supported by CrewDesk: use Agent with a one-task Crew",
}
"""What to use instead of a CrewAI name CrewDesk does not offer."""


def unsupported_name(module: str, name: str) -> Exception:
    """The error for `from <module> import <name>` of a name this package does not have.

    Dunder and private names get a plain `AttributeError` (as any module does); known CrewAI
    names an `ImportError` that says what to use instead.
    """
    public = module.replace("desktop_app.compat.", "", 1)
    if name.startswith("_"):
        return AttributeError(f"module {public!r} has no attribute {name!r}")
    instead = _INSTEAD.get(name)
    if instead is not None:
        return ImportError(f"{public}.{name}: {instead}. See {DOCS}.", name=public)
    return AttributeError(
        f"module {public!r} has no attribute {name!r} in CrewDesk; {DOCS} lists the CrewAI "
        "names CrewDesk offers"
    )
