"""A flow's state: made, filled with inputs, restored from persistence, shown as JSON.

As CrewAI 1.x: the state is a dict or a pydantic model, and always has an `id` (a UUID), the
key `@persist` saves under. `Flow[Model]` whose model has no `id` gets one mixed in
(`FlowState`); `initial_state = Model` must declare it itself, or it is an error.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import BaseModel, Field, ValidationError

__all__ = ["FlowState", "apply_inputs", "initial_state", "restore", "snapshot", "state_id"]


class FlowState(BaseModel):
    """The base of structured flow states: an `id` made for each new state."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()),
                    description="Unique identifier for the flow state")


def initial_state(state_type: object, initial: object) -> dict[str, Any] | BaseModel:
    """A new state from `Flow[T]`'s `T` or the class's `initial_state`.

    Raises:
        ValueError: `initial_state` is a model class without an `id` field.
        TypeError: It is neither a dict nor a pydantic model (class or instance).
    """
    if initial is None and isinstance(state_type, type):
        if issubclass(state_type, FlowState):
            return state_type()
        if issubclass(state_type, BaseModel):
            with_id: type[BaseModel] = type(state_type.__name__, (FlowState, state_type), {})
            return with_id()
    if initial is None or initial is dict:
        return {"id": str(uuid.uuid4())}
    if isinstance(initial, type) and issubclass(initial, BaseModel):
        if "id" not in initial.model_fields:
            raise ValueError(f"Flow state model {initial.__name__} must have an 'id' field "
                             "(derive it from FlowState, or use Flow[{initial.__name__}])")
        made = initial()
        if not getattr(made, "id", None):
            object.__setattr__(made, "id", str(uuid.uuid4()))
        return made
    if isinstance(initial, dict):
        return {"id": str(uuid.uuid4()), **initial}
    if isinstance(initial, BaseModel):
        values = initial.model_dump()
        values["id"] = values.get("id") or str(uuid.uuid4())
        model: type[BaseModel] = type(initial) if "id" in type(initial).model_fields else type(
            type(initial).__name__, (FlowState, type(initial)), {})
        return model(**values)
    raise TypeError(f"Initial state must be a dict or a pydantic model, got "
                    f"{type(initial).__name__}")


def state_id(state: dict[str, Any] | BaseModel) -> str:
    """The state's `id` ("" when it has none)."""
    value = state.get("id") if isinstance(state, dict) else getattr(state, "id", None)
    return str(value) if value else ""


def apply_inputs(state: dict[str, Any] | BaseModel, inputs: dict[str, Any]
                 ) -> dict[str, Any] | BaseModel:
    """The state with `inputs` merged in (a model is validated again).

    Raises:
        ValueError: A value does not fit the structured state; names the field.
    """
    if isinstance(state, dict):
        state.update(inputs)
        return state
    try:
        return type(state).model_validate({**state.model_dump(), **inputs})
    except ValidationError as exc:
        raise ValueError(f"Invalid inputs for structured state: {exc}") from exc


def restore(state: dict[str, Any] | BaseModel, stored: dict[str, Any]
            ) -> dict[str, Any] | BaseModel:
    """The state replaced by a stored one (as CrewAI's `_restore_state`)."""
    if not stored.get("id"):
        raise ValueError("Stored state must have an 'id' field")
    if isinstance(state, dict):
        state.clear()
        state.update(stored)
        return state
    return type(state).model_validate(stored)


def snapshot(state: dict[str, Any] | BaseModel) -> dict[str, Any]:
    """The state as JSON-able values (what events carry and persistence saves)."""
    if isinstance(state, BaseModel):
        return state.model_dump(mode="json")
    loaded: dict[str, Any] = json.loads(json.dumps(state, default=_json_default))
    return loaded


def _json_default(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | tuple):
        return list(value)
    return str(value)
