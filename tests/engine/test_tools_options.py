"""CrewAI's tool options through the simulator: `result_as_answer`, `max_usage_count`, and the
warning for a keyword a tool has no field for."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from desktop_app.engine import Agent, AgentStep, BaseTool, Crew, CrewOutput, Task, tool
from desktop_app.engine.errors import IgnoredSettingWarning
from desktop_app.simulator import SimulatorThread
from tests.engine.conftest import make_llm


def _kickoff(
    sim: SimulatorThread, tools: list[BaseTool], description: str = "Look up the tides",
    **task_options: Any,
) -> tuple[CrewOutput, list[AgentStep]]:
    agent = Agent(role="Helper", goal="Help", backstory="Handy.", llm=make_llm(sim.base_url),
                  tools=tools)
    task = Task(description=description, expected_output="the tides", agent=agent,
                **task_options)
    steps: list[AgentStep] = []
    result = Crew(agents=[agent], tasks=[task], step_callback=steps.append).kickoff()
    return result, steps


def test_a_result_as_answer_tool_ends_the_task_with_its_output(
    sim_thread: SimulatorThread,
) -> None:
    @tool("Tide table", result_as_answer=True)
    def tide_table(place: str) -> str:
        """The tide table of a place."""
        return f"High water at {place}: 06:12 and 18:40."

    result, _ = _kickoff(sim_thread, [tide_table])

    assert tide_table.result_as_answer
    assert result.raw == "High water at Current: 06:12 and 18:40."
    assert len(sim_thread.stats.requests) == 1  # the call that chose the tool, no more


class Tides(BaseModel):
    place: str
    high_waters: int


def test_a_result_as_answer_tool_can_fill_the_output_model(sim_thread: SimulatorThread) -> None:
    @tool(result_as_answer=True)
    def tides(place: str) -> str:
        """The tides of a place, as JSON."""
        return json.dumps({"place": place, "high_waters": 2})

    result, _ = _kickoff(sim_thread, [tides], output_pydantic=Tides)

    assert result.pydantic == Tides(place="Current", high_waters=2)
    assert len(sim_thread.stats.requests) == 1


def test_a_result_as_answer_tool_that_fails_does_not_end_the_task(
    sim_thread: SimulatorThread,
) -> None:
    @tool(result_as_answer=True)
    def tides(place: str) -> str:
        """The tides of a place."""
        raise RuntimeError("gauge offline")

    result, _ = _kickoff(sim_thread, [tides])

    assert result.raw.startswith("Result: Error: the tool 'tides' failed: gauge offline.")
    assert len(sim_thread.stats.requests) == 2


def test_a_tool_past_its_max_usage_count_gets_crewais_error(
    sim_thread: SimulatorThread,
) -> None:
    places: list[str] = []

    @tool(max_usage_count=1)
    def tides(place: str) -> str:
        """The tides of a place."""
        places.append(place)
        return f"tides of {place}"

    script = 'Look up the tides sim-call: tides {"place": "Ghent"} sim-call: tides {"place": "Oslo"}'
    _, steps = _kickoff(sim_thread, [tides], description=script)

    results = [step for step in steps if step.kind == "tool_result"]
    assert places == ["Ghent"]
    assert [(r.output, r.is_error) for r in results] == [
        ("tides of Ghent", False),
        ("Tool 'tides' has reached its usage limit of 1 times and cannot be used anymore.",
         True),
    ]


def test_the_usage_count_starts_again_for_each_task(sim_thread: SimulatorThread) -> None:
    places: list[str] = []

    @tool(max_usage_count=1)
    def tides(place: str) -> str:
        """The tides of a place."""
        places.append(place)
        return f"tides of {place}"

    agent = Agent(role="Helper", goal="Help", backstory="Handy.",
                  llm=make_llm(sim_thread.base_url), tools=[tides])
    tasks = [Task(description=f'Tides sim-call: tides {{"place": "{place}"}}',
                  expected_output="the tides", agent=agent) for place in ("Ghent", "Oslo")]
    Crew(agents=[agent], tasks=tasks).kickoff()
    assert places == ["Ghent", "Oslo"]


def test_max_usage_count_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="max_usage_count must be a positive integer"):

        @tool(max_usage_count=0)
        def tides(place: str) -> str:
            """The tides of a place."""
            return place


class Gauge(BaseTool):
    name: str = "Gauge"
    description: str = "Reads the water level."

    # CrewAI's way: `_run` takes the tool's own arguments (its schema is read from them).
    def _run(self, place: str) -> str:  # type: ignore[override]
        return f"level at {place}"


def test_a_keyword_a_tool_has_no_field_for_warns_at_the_users_line() -> None:
    with pytest.warns(IgnoredSettingWarning) as caught:
        gauge = Gauge(colour="blue")  # type: ignore[call-arg]

    assert str(caught[0].message) == (
        "Gauge: colour is not supported by CrewDesk and is ignored (this tool has no such "
        "setting)"
    )
    assert caught[0].filename == __file__
    assert gauge.run(place="Ghent") == "level at Ghent"


def test_known_keywords_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gauge = Gauge(name="Tide gauge", result_as_answer=True, max_usage_count=3)
    assert (gauge.name, gauge.result_as_answer, gauge.max_usage_count) == (
        "Tide gauge", True, 3)
