"""`crewai.llms.base_llm`: `BaseLLM`, CrewAI's base class of custom LLMs.

A subclass implements CrewAI's `call(messages, tools=None, callbacks=None,
available_functions=None, ...)` returning the answer's text; CrewDesk's agents then call it
(in a worker thread on the async path) and use its text as the model's answer. It is an
`LLM`, so `Agent(llm=MyLLM(model="my-model"))` takes it. The custom model gets the chat in
OpenAI's message format and the tool schemas, but no `available_functions`: tool calls are
the engine's, so a custom LLM that runs tools itself does not get them.

While a run's LLM target is forced (`crewdesk run --simulator`), calls go to that target, not
to the custom code, as for every other LLM.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from desktop_app.engine import LLM, UsageMetrics
from desktop_app.engine.llm import LLMResult, LLMTarget

_ENGINE_KEYWORDS = frozenset({"on_text", "cancelled"})


class BaseLLM(LLM):
    """CrewAI's base class of custom LLMs (see the module's docstring)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        custom = cls.__dict__.get("call")
        if custom is not None:
            cls._crewai_call = custom  # type: ignore[attr-defined]
            cls.call = _engine_call  # type: ignore[assignment,method-assign]
            cls.acall = _engine_acall  # type: ignore[assignment,method-assign]


def _forced(llm: LLM) -> bool:
    return llm.target() != LLMTarget(llm.model, llm.base_url, llm.api_key)


def _engine_call(self: BaseLLM, messages: Any, *args: Any, **kwargs: Any) -> Any:
    """The engine's `call` on the subclass's own: engine calls (with `on_text`/`cancelled`)
    get an `LLMResult`; a project calling `llm.call(messages)` gets its own answer."""
    custom: Callable[..., Any] = type(self)._crewai_call  # type: ignore[attr-defined]
    if not _ENGINE_KEYWORDS & kwargs.keys():
        return custom(self, messages, *args, **kwargs)
    if _forced(self):
        return LLM.call(self, messages, **kwargs)
    answer = custom(self, [dict(m) for m in messages], tools=_tools(kwargs.get("tools")))
    return _result(answer, kwargs.get("on_text"))


async def _engine_acall(
    self: BaseLLM,
    messages: Sequence[dict[str, Any]],
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
    on_text: Callable[[str], None] | None = None,
) -> LLMResult:
    if _forced(self):
        return await LLM.acall(self, messages, tools=tools, on_text=on_text)
    custom: Callable[..., Any] = type(self)._crewai_call  # type: ignore[attr-defined]
    answer = await asyncio.to_thread(
        custom, self, [dict(m) for m in messages], tools=_tools(tools)
    )
    return _result(answer, on_text)


def _tools(tools: Any) -> list[dict[str, Any]] | None:
    return [dict(tool) for tool in tools] if tools else None


def _result(answer: Any, on_text: Callable[[str], None] | None) -> LLMResult:
    if isinstance(answer, LLMResult):
        return answer
    text = answer if isinstance(answer, str) else str(answer)
    if on_text is not None and text:
        on_text(text)
    return LLMResult(
        text=text, tool_calls=[], usage=UsageMetrics(), cost_usd=None, finish_reason="stop"
    )


__all__ = ["BaseLLM"]
