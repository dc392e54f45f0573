"""CrewAI's `crewai.project` decorators: `@agent`, `@task`, `@crew`, `@tool`, `@llm`...

Each marks its method with CrewAI's marker (`is_agent`, `is_task`...), which `@CrewBase`
reads. `@agent`, `@task`, `@llm`, `@tool`, `@callback`, `@cache_handler` and `@crew` are
memoized per instance, as in CrewAI: `self.researcher()` returns the same `Agent` each time,
so `Task(agent=self.researcher())` and the YAML's `agent: researcher` are one object.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from desktop_app.compat.crewai.project._provenance import record
from desktop_app.engine import Agent, Task

T = TypeVar("T")

MARKERS = (
    "is_agent",
    "is_task",
    "is_crew",
    "is_llm",
    "is_tool",
    "is_callback",
    "is_cache_handler",
    "is_before_kickoff",
    "is_after_kickoff",
)
"""CrewAI's method markers, copied onto bound methods as CrewAI does."""

_MEMO = "_crewdesk_memo"


def resolve_result(result: Any) -> Any:
    """A coroutine's result (an `async def` decorated method), else the value itself."""
    if not inspect.iscoroutine(result):
        return result
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(result)
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, result).result()


class DecoratedMethod:
    """A method with a CrewAI marker; a descriptor that binds to the instance.

    Attributes:
        memoized: Whether calls are memoized per instance and arguments.
    """

    memoized = False

    def __init__(self, meth: Callable[..., Any]) -> None:
        self._meth = meth
        self.__name__ = meth.__name__
        self.__qualname__ = getattr(meth, "__qualname__", meth.__name__)
        self.__doc__ = meth.__doc__
        self.__wrapped__ = meth

    def __get__(self, obj: Any, objtype: type[Any] | None = None) -> Any:
        if obj is None:
            return self
        return BoundMethod(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calls the method with an explicit instance (`Cls.researcher(instance)`)."""
        if args:
            return self.call(args[0], *args[1:], **kwargs)
        return resolve_result(self._meth(*args, **kwargs))

    def unwrap(self) -> Callable[..., Any]:
        """The method as written."""
        return self._meth

    def call(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Calls the method on `obj`, through the instance's memo when memoized."""
        if not self.memoized:
            return resolve_result(self._meth(obj, *args, **kwargs))
        memo: dict[str, Any] = vars(obj).setdefault(_MEMO, {})
        key = repr((self.__name__, _hashable(args), _hashable(kwargs)))
        if key not in memo:
            memo[key] = self.finish(resolve_result(self._meth(obj, *args, **kwargs)))
        return memo[key]

    def finish(self, result: Any) -> Any:
        """What a first call's result becomes before it is memoized."""
        return result


class BoundMethod:
    """A decorated method bound to an instance, carrying the method's markers."""

    def __init__(self, method: DecoratedMethod, obj: Any) -> None:
        self._method = method
        self._obj = obj
        self.__name__ = method.__name__
        self.__doc__ = method.__doc__
        for marker in MARKERS:
            if hasattr(method, marker):
                setattr(self, marker, True)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._method.call(self._obj, *args, **kwargs)

    def unwrap(self) -> Callable[..., Any]:
        """The method as written."""
        return self._method.unwrap()


class AgentMethod(DecoratedMethod):
    """`@agent`: returns an `Agent`, once per instance."""

    is_agent = True
    memoized = True

    def finish(self, result: Any) -> Any:
        if isinstance(result, Agent):
            record(result, self._meth)
        return result


class TaskMethod(DecoratedMethod):
    """`@task`: returns a `Task`, once per instance; a task with no name gets the method's."""

    is_task = True
    memoized = True

    def finish(self, result: Any) -> Any:
        if isinstance(result, Task):
            if not result.name:
                result.name = self.__name__
            record(result, self._meth)
        return result


class CrewMethod(DecoratedMethod):
    """`@crew`: makes the crew once per instance, as CrewAI's `@crew` does.

    Before the method runs, every `@task` and `@agent` method is called and `self.tasks` and
    `self.agents` are set; after it, the crew gets the class's name (unless the method named
    it) and the `@before_kickoff`/`@after_kickoff` methods as kickoff callbacks.
    """

    is_crew = True
    memoized = True

    def call(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        from desktop_app.compat.crewai.project import _crew_base

        memo: dict[str, Any] = vars(obj).setdefault(_MEMO, {})
        key = repr((self.__name__, _hashable(args), _hashable(kwargs)))
        if key not in memo:
            _crew_base.prepare_crew(obj)
            made = resolve_result(self._meth(obj, *args, **kwargs))
            memo[key] = _crew_base.finish_crew(obj, made)
        return memo[key]


class LLMMethod(DecoratedMethod):
    """`@llm`: an LLM that YAML names (`llm: my_llm`)."""

    is_llm = True
    memoized = True


class ToolMethod(DecoratedMethod):
    """`@tool`: a tool that YAML names (`tools: [search_tool]`)."""

    is_tool = True
    memoized = True


class CallbackMethod(DecoratedMethod):
    """`@callback`: returns a callback that YAML names (`callbacks`, `step_callback`)."""

    is_callback = True
    memoized = True


class CacheHandlerMethod(DecoratedMethod):
    """`@cache_handler`: a cache handler that YAML names."""

    is_cache_handler = True
    memoized = True


class BeforeKickoffMethod(DecoratedMethod):
    """`@before_kickoff`: gets the inputs and returns those to use, before each kickoff."""

    is_before_kickoff = True


class AfterKickoffMethod(DecoratedMethod):
    """`@after_kickoff`: gets the `CrewOutput` and returns the one to return."""

    is_after_kickoff = True


def agent(meth: Callable[..., Any]) -> AgentMethod:
    """Marks a method that makes one of the crew's agents (its name is the YAML key)."""
    return AgentMethod(meth)


def task(meth: Callable[..., Any]) -> TaskMethod:
    """Marks a method that makes one of the crew's tasks, in declaration order."""
    return TaskMethod(meth)


def llm(meth: Callable[..., Any]) -> LLMMethod:
    """Marks a method that makes an LLM agents' YAML can name (`llm: <method>`)."""
    return LLMMethod(meth)


def tool(meth: Callable[..., Any]) -> ToolMethod:
    """Marks a method that makes a tool YAML can name (`tools: [<method>]`)."""
    return ToolMethod(meth)


def callback(meth: Callable[..., Any]) -> CallbackMethod:
    """Marks a method that returns a callback YAML can name (`callbacks`, `step_callback`)."""
    return CallbackMethod(meth)


def cache_handler(meth: Callable[..., Any]) -> CacheHandlerMethod:
    """Marks a method that makes a cache handler YAML can name (`cache_handler`)."""
    return CacheHandlerMethod(meth)


def before_kickoff(meth: Callable[..., Any]) -> BeforeKickoffMethod:
    """Marks a method run before each kickoff of the `@crew` crew, with the inputs."""
    return BeforeKickoffMethod(meth)


def after_kickoff(meth: Callable[..., Any]) -> AfterKickoffMethod:
    """Marks a method run after each kickoff of the `@crew` crew, with its output."""
    return AfterKickoffMethod(meth)


def crew(meth: Callable[..., Any]) -> CrewMethod:
    """Marks the method that makes the crew; `self.agents`/`self.tasks` are set before it."""
    return CrewMethod(meth)


def output_json(cls: type[T]) -> type[T]:
    """Marks a model class YAML can name as a task's `output_json`."""
    setattr(cls, "is_output_json", True)  # noqa: B010  # CrewAI's marker, set on the class
    return cls


def output_pydantic(cls: type[T]) -> type[T]:
    """Marks a model class YAML can name as a task's `output_pydantic`."""
    setattr(cls, "is_output_pydantic", True)  # noqa: B010  # CrewAI's marker
    return cls


def _hashable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, dict):
        return tuple(sorted((str(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_hashable(item) for item in value)
    if hasattr(value, "__dict__"):
        return ("instance", id(value))
    return value
