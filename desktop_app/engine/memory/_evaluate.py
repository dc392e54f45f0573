"""The optional LLM evaluation of a finished task, as CrewAI's `TaskEvaluator` does it.

With `MemoryConfig(evaluate=True)`, each finished task costs one more call of its agent's
model, which rates the result (0-10), suggests how to do better next time and names the
entities in it. Long-term memory keeps the rating and suggestions; the entities replace the
heuristic ones. When the answer is not the JSON asked for, the heuristic entities are kept
and the rating stays empty. Off by default: on a paid model it is one more call per task.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop_app.engine._structured import extract_json_object
from desktop_app.engine.llm import Message
from desktop_app.engine.memory._entities import Entity

_MAX_SUGGESTIONS = 5
_MAX_OUTPUT_CHARS = 6000


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What the model said about a task's result."""

    quality: float
    suggestions: list[str] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)


def evaluation_messages(description: str, expected: str, output: str) -> list[Message]:
    """The one request that asks the agent's model to evaluate a result."""
    system = (
        "You evaluate the work of an AI agent. Answer with one JSON object only: "
        '{"quality": <0-10>, "suggestions": [<up to 5 short instructions that would make '
        'the result better next time>], "entities": [{"name": <a person, place, '
        'organisation or thing named in the result>, "description": <one sentence>}]}'
    )
    user = (
        f"Task: {description}\nExpected output: {expected}\n\nResult:\n{output[:_MAX_OUTPUT_CHARS]}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse_evaluation(text: str, limit: int) -> Evaluation | None:
    """The evaluation in the model's answer, or None when there is none to trust."""
    data = extract_json_object(text)
    if data is None:
        return None
    quality = data.get("quality")
    if isinstance(quality, bool) or not isinstance(quality, int | float):
        return None
    suggestions = [str(s) for s in data.get("suggestions") or [] if str(s).strip()]
    entities = []
    for raw in data.get("entities") or []:
        if isinstance(raw, dict) and str(raw.get("name") or "").strip():
            name = str(raw["name"]).strip()
            entities.append(Entity(name=name, mention=str(raw.get("description") or name)))
    return Evaluation(
        quality=min(10.0, max(0.0, float(quality))),
        suggestions=suggestions[:_MAX_SUGGESTIONS],
        entities=entities[:limit],
    )
