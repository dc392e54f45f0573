"""`@tool` and `BaseTool` through the public API: schemas, sync and async tools, errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Literal

import pytest
from pydantic import BaseModel

from desktop_app.engine import LLM, Agent, AgentStep, BaseTool, Crew, Task, Tool, tool
from desktop_app.simulator import Simulator, SimulatorThread
from tests.engine.conftest import make_llm


def _crew(llm: LLM, tools: list[BaseTool], **crew_options: object) -> Crew:
    agent = Agent(role="Helper", goal="Help", backstory="Handy.", llm=llm, tools=tools)
    task = Task(description="Look up the weather", expected_output="a forecast", agent=agent)
    return Crew(agents=[agent], tasks=[task], **crew_options)  # type: ignore[arg-type]


def test_the_decorator_takes_the_name_docstring_and_typed_signature() -> None:
    @tool("Weather Lookup")
    def weather(city: str, days: int = 3, unit: Literal["C", "F"] = "C") -> str:
        """Forecast for a city."""
        return f"{city} {days} {unit}"

    @tool
    async def clock() -> str:
        """The time."""
        return "noon"

    assert isinstance(weather, Tool) and isinstance(clock, BaseTool)
    assert (weather.name, weather.description) == ("Weather Lookup", "Forecast for a city.")
    assert clock.name == "clock"
    function = weather.openai_schema()["function"]
    assert function["name"] == "Weather_Lookup"
    parameters = function["parameters"]
    assert parameters["required"] == ["city"]
    assert parameters["properties"]["days"] == {"default": 3, "title": "Days", "type": "integer"}
    assert parameters["properties"]["unit"]["enum"] == ["C", "F"]
    assert weather.run(city="Oslo") == "Oslo 3 C"
    assert clock.run() == "noon"
    with pytest.raises(ValueError, match="days"):
        weather.parse_arguments('{"city": "Oslo", "days": "many"}')


class Shout(BaseTool):
    name: str = "shout"
    description: str = "Says a word loudly."

    def _run(self, word: str, times: int = 1) -> str:
        return " ".join([word.upper()] * times)


def test_a_base_tool_subclass_gets_its_arguments_from_run() -> None:
    shout = Shout()
    assert shout.args_schema.__name__ == "ShoutArgs"
    parameters = shout.openai_schema()["function"]["parameters"]
    assert parameters["required"] == ["word"]
    assert set(parameters["properties"]) == {"word", "times"}
    assert shout.run(**shout.parse_arguments('{"word": "hey", "times": 2}')) == "HEY HEY"


def test_a_tool_function_needs_a_docstring() -> None:
    def bare(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="must have a docstring"):
        tool(bare)


class Point(BaseModel):
    x: int
    y: int


def test_pydantic_arguments_reach_the_function_as_models() -> None:
    @tool
    def norm(point: Point) -> int:
        """Manhattan norm."""
        return abs(point.x) + abs(point.y)

    kwargs = norm.parse_arguments('{"point": {"x": 3, "y": -4}}')
    assert isinstance(kwargs["point"], Point)
    assert norm.run(**kwargs) == 7


def test_a_type_hint_that_cannot_be_read_is_named() -> None:
    class Local(BaseModel):
        x: int

    def uses_local(value: Local) -> int:
        """Uses a class defined in a function."""
        return value.x

    with pytest.raises(TypeError, match="'uses_local'.*'Local' is not defined"):
        tool(uses_local)


@pytest.mark.asyncio
async def test_sync_tools_run_in_a_thread_and_async_tools_on_the_loop(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    seen: dict[str, bool] = {}
    loop_thread = threading.current_thread()

    @tool
    def forecast(city: str) -> str:
        """Forecast for a city."""
        seen["sync_off_loop"] = threading.current_thread() is not loop_thread
        return f"sunny in {city}"

    @tool
    async def alerts(region: str) -> str:
        """Weather alerts for a region."""
        seen["async_on_loop"] = threading.current_thread() is loop_thread
        await asyncio.sleep(0)
        return f"no alerts in {region}"

    first = await _crew(llm_on(), [forecast]).akickoff()
    second = await _crew(llm_on(), [alerts]).akickoff()

    assert seen == {"sync_off_loop": True, "async_on_loop": True}
    assert first.raw.startswith("Result: sunny in Current.")  # the simulator's argument word
    assert second.raw.startswith("Result: no alerts in Current.")
    call = sim.stats.requests[1].body["messages"][2]["tool_calls"][0]["function"]
    assert call == {"name": "forecast", "arguments": '{"city": "Current"}'}


def test_sync_and_async_tools_work_on_the_blocking_kickoff(sim_thread: SimulatorThread) -> None:
    @tool
    def forecast(city: str) -> str:
        """Forecast for a city."""
        return f"rain in {city}"

    @tool
    async def alerts(region: str) -> str:
        """Weather alerts for a region."""
        await asyncio.sleep(0)
        return f"storm in {region}"

    llm = make_llm(sim_thread.base_url)
    assert _crew(llm, [forecast]).kickoff().raw.startswith("Result: rain in Current.")
    assert _crew(llm, [alerts]).kickoff().raw.startswith("Result: storm in Current.")


@pytest.mark.asyncio
async def test_a_failing_tool_goes_back_to_the_model_and_steps_are_reported(
    llm_on: Callable[..., LLM],
) -> None:
    @tool
    async def flaky(city: str) -> str:
        """Sometimes works."""
        raise RuntimeError(f"service down for {city}")

    steps: list[AgentStep] = []

    async def on_step(step: AgentStep) -> None:
        steps.append(step)

    result = await _crew(llm_on(), [flaky], step_callback=on_step).akickoff()

    expected = "Error: the tool 'flaky' failed: service down for Current"
    assert result.raw.startswith(f"Result: {expected}.")
    assert [step.kind for step in steps] == ["tool_result", "final_answer"]
    assert steps[0].is_error and steps[0].tool_name == "flaky" and steps[0].output == expected
    assert steps[0].tool_input == '{"city": "Current"}'
    assert steps[1].output == result.raw and steps[1].agent_role == "Helper"


@pytest.mark.asyncio
async def test_max_iter_forces_a_final_answer(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    calls: list[str] = []

    @tool
    def forecast(city: str) -> str:
        """Forecast for a city."""
        calls.append(city)
        return "sunny"

    agent = Agent(role="Helper", goal="Help", backstory="Handy.", llm=llm_on(), tools=[forecast],
                  max_iter=1)
    task = Task(description="Look up the weather", expected_output="a forecast", agent=agent)
    result = await Crew(agents=[agent], tasks=[task]).akickoff()

    assert calls == ["Current"]
    assert result.raw.startswith("Answer to: You have reached the limit of tool calls.")
    assert sim.stats.requests[-1].body.get("tools") is None
