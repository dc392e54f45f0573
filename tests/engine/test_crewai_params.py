"""CrewAI 1.15's parameters on `Agent`, `Task`, `Crew` and `LLM` (contract C1).

Every parameter is accepted; `config=` is merged under the explicit keywords; what CrewDesk
does not act on warns, is kept by the object and is reported by each run.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from desktop_app.engine import (
    LLM,
    Agent,
    Crew,
    IgnoredSetting,
    IgnoredSettingWarning,
    RunEvent,
    Task,
)
from desktop_app.engine._crewai_surface import CREWAI_FIELDS, IGNORED, NO_EFFECT
from desktop_app.engine.events import SettingIgnored
from desktop_app.simulator import SimulatorThread
from tests.engine.conftest import make_llm

_CLASSES: dict[str, Any] = {"Agent": Agent, "Task": Task, "Crew": Crew}


@pytest.mark.parametrize("name", ["Agent", "Task", "Crew"])
def test_every_crewai_parameter_is_declared_ignored_or_without_effect(name: str) -> None:
    declared = set(_CLASSES[name].model_fields)
    for field in CREWAI_FIELDS[name]:
        homes = [field in declared, field in IGNORED[name], field in NO_EFFECT[name]]
        assert sum(homes) == 1, f"{name}.{field}: {homes}"


def test_agent_from_yaml_config_alone() -> None:
    agent = Agent(
        config={
            "role": "Researcher",
            "goal": "Find facts",
            "backstory": "Thorough.",
            "llm": "openai/gpt-4o",
            "allow_delegation": False,
            "max_iter": 5,
            "verbose": 2,
        }
    )
    assert isinstance(agent.llm, LLM) and agent.llm.model == "openai/gpt-4o"
    assert (agent.max_iter, agent.verbose, agent.allow_delegation) == (5, 2, False)
    assert agent.config_keys() == {
        "role", "goal", "backstory", "llm", "allow_delegation", "max_iter", "verbose"
    }
    assert agent.given_keys() == frozenset()
    assert isinstance(agent.id, uuid.UUID)


def test_explicit_keywords_win_over_config() -> None:
    agent = Agent(
        config={"role": "From YAML", "goal": "g", "backstory": "b", "max_iter": 3},
        role="From code",
    )
    assert agent.role == "From code"
    assert agent.given_keys() == {"role"}
    assert "role" not in agent.config_keys()


def test_an_ignored_setting_warns_names_itself_and_is_kept() -> None:
    with pytest.warns(IgnoredSettingWarning, match=r"Agent 'Researcher': multimodal=True"):
        agent = Agent(role="Researcher", goal="g", backstory="b", multimodal=True)
    assert agent.ignored_settings() == [
        IgnoredSetting(
            owner="Agent 'Researcher'",
            setting="multimodal",
            message=agent.ignored_settings()[0].message,
        )
    ]
    assert agent.multimodal is True
    assert Agent(role="r", goal="g", backstory="b").multimodal is False


def test_a_default_value_of_an_ignored_setting_does_not_warn() -> None:
    agent = Agent(role="r", goal="g", backstory="b", multimodal=False, mcps=None, cache=False)
    assert agent.ignored_settings() == []


def test_an_unknown_keyword_warns_with_a_suggestion() -> None:
    with pytest.warns(IgnoredSettingWarning, match=r"'expected_outptu'.*expected_output"):
        task = Task(description="d", expected_output="e", expected_outptu="x")  # type: ignore[call-arg]
    assert [item.setting for item in task.ignored_settings()] == ["expected_outptu"]


def test_an_unknown_config_key_warns() -> None:
    with pytest.warns(IgnoredSettingWarning, match="'colour' is not a CrewAI Task parameter"):
        Task(config={"description": "d", "expected_output": "e", "colour": "red"})


def test_llm_takes_crewai_parameters() -> None:
    llm = LLM(model="gpt-4o", provider="openai", stream=False, additional_params={"seed": 7})
    assert llm.model == "openai/gpt-4o"
    assert llm.extra == {"seed": 7}
    with pytest.warns(IgnoredSettingWarning, match="interceptor"):
        ignored = LLM(model="openai/gpt-4o", interceptor=object())
    assert [item.setting for item in ignored.ignored_settings()] == ["interceptor"]


def test_crew_from_crewai_config() -> None:
    crew = Crew(
        config={
            "agents": [{"role": "Writer", "goal": "g", "backstory": "b"}],
            "tasks": [{"description": "d", "expected_output": "e", "agent": "Writer"}],
        }
    )
    assert crew.tasks[0].agent is crew.agents[0]


def test_each_run_reports_the_ignored_settings(sim_thread: SimulatorThread) -> None:
    with pytest.warns(IgnoredSettingWarning):
        agent = Agent(
            role="Writer", goal="g", backstory="b", llm=make_llm(sim_thread.base_url),
            multimodal=True,
        )
        task = Task(description="Say hi", expected_output="hi", agent=agent, input_files={"a": 1})
        crew = Crew(agents=[agent], tasks=[task], share_crew=True)
    events: list[RunEvent] = []
    output = _run_collecting(crew, events)
    assert output.raw
    kinds = [event.kind for event in events]
    assert kinds[0] == "run_started"
    ignored = [event for event in events if isinstance(event, SettingIgnored)]
    assert kinds[1 : 1 + len(ignored)] == ["setting_ignored"] * 3
    assert {event.setting for event in ignored} == {"multimodal", "input_files", "share_crew"}
    assert {event.owner for event in ignored} == {"Agent 'Writer'", "Task 'Say hi'", "Crew 'crew'"}


def _run_collecting(crew: Crew, events: list[RunEvent]) -> Any:
    from desktop_app.engine import bus

    unsubscribe = bus.subscribe(events.append)
    try:
        return crew.kickoff()
    finally:
        unsubscribe()


def test_a_keyword_given_as_none_is_filled_from_config() -> None:
    agent = Agent(
        config={"role": "r", "goal": "g", "backstory": "b", "llm": "openai/gpt-4o"}, llm=None
    )
    assert isinstance(agent.llm, LLM) and agent.llm.model == "openai/gpt-4o"
    assert "llm" in agent.config_keys() and "llm" not in agent.given_keys()
