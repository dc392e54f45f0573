"""CrewAI parameters that take effect in a run (engine-core's part of contract C1), through
the simulator over HTTP."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from desktop_app.engine import (
    Agent,
    AgentStep,
    Crew,
    Task,
    TaskExecutionError,
    TaskOutput,
    tool,
)
from desktop_app.engine.outputs import OutputFormat
from desktop_app.simulator import SimulatorThread
from tests.engine.conftest import make_llm


@tool
def agent_tool(topic: str) -> str:
    """The agent's own lookup."""
    return f"agent facts on {topic}"


@tool
def task_tool(topic: str) -> str:
    """The task's own lookup."""
    return f"task facts on {topic}"


class Brief(BaseModel):
    title: str
    points: int


@tool
def brief_data(topic: str) -> str:
    """Facts about a topic, as JSON (the simulator reports a tool's result as its answer)."""
    return json.dumps({"title": f"On {topic}", "points": 3})


def _agent(sim: SimulatorThread, settings: str = "", **fields: Any) -> Agent:
    return Agent(
        role="Writer", goal="Write", backstory="Clear.", llm=make_llm(sim.base_url, settings),
        **fields,
    )


def _run(agent: Agent, description: str = "Write about tides.", **fields: Any) -> Any:
    task = Task(description=description, expected_output="A line.", agent=agent, **fields)
    return Crew(agents=[agent], tasks=[task]).kickoff()


def _user_prompt(sim: SimulatorThread, index: int = 0) -> str:
    messages = sim.stats.requests[index].body["messages"]
    return str(messages[1]["content"])


def test_task_tools_replace_the_agent_tools(sim_thread: SimulatorThread) -> None:
    agent = _agent(sim_thread, tools=[agent_tool])
    _run(agent, tools=[task_tool])
    offered = [t["function"]["name"] for t in sim_thread.stats.requests[0].body["tools"]]
    assert offered == ["task_tool"]


def test_max_execution_time_fails_the_task_naming_agent_and_limit(
    sim_thread: SimulatorThread,
) -> None:
    agent = _agent(sim_thread, "tps=5,tokens=200", max_execution_time=1)
    with pytest.raises(TaskExecutionError) as caught:
        _run(agent)
    message = str(caught.value)
    assert "agent 'Writer'" in message and "max_execution_time of 1 seconds" in message


@pytest.mark.asyncio
async def test_max_execution_time_on_the_async_path(sim_thread: SimulatorThread) -> None:
    agent = _agent(sim_thread, "tps=5,tokens=200", max_execution_time=0.5)
    task = Task(description="Write.", expected_output="A line.", agent=agent)
    with pytest.raises(TaskExecutionError, match="max_execution_time of 0.5 seconds"):
        await asyncio.wait_for(Crew(agents=[agent], tasks=[task]).akickoff(), 10)


def test_max_retry_limit_runs_a_failed_execution_again(sim_thread: SimulatorThread) -> None:
    calls: list[AgentStep] = []

    def flaky(step: AgentStep) -> None:
        calls.append(step)
        if len(calls) == 1:
            raise RuntimeError("a passing hiccup")

    output = _run(_agent(sim_thread, step_callback=flaky, max_retry_limit=1))
    assert output.raw and len(calls) == 2
    with pytest.raises(TaskExecutionError, match="always broken"):
        _run(_agent(sim_thread, step_callback=_always_broken, max_retry_limit=0))


def _always_broken(_step: AgentStep) -> None:
    raise RuntimeError("always broken")


def test_output_file_from_yaml_config_creates_its_folder(
    sim_thread: SimulatorThread, tmp_path: Path
) -> None:
    target = tmp_path / "reports" / "{topic}.md"
    agent = _agent(sim_thread)
    task = Task(
        config={"description": "Write about {topic}.", "expected_output": "A line.",
                "output_file": str(target)},
        agent=agent,
    )
    output = Crew(agents=[agent], tasks=[task]).kickoff(inputs={"topic": "tides"})
    assert (tmp_path / "reports" / "tides.md").read_text(encoding="utf-8") == output.raw
    assert task.output is not None and task.output.raw == output.raw


def test_output_file_without_create_directory_fails_clearly(
    sim_thread: SimulatorThread, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "out.md"
    with pytest.raises(TaskExecutionError, match="does not exist and create_directory is False"):
        _run(_agent(sim_thread), output_file=str(missing), create_directory=False)


def test_markdown_adds_crewais_instruction(sim_thread: SimulatorThread) -> None:
    _run(_agent(sim_thread), markdown=True)
    assert "Your final answer MUST be formatted in Markdown syntax." in _user_prompt(sim_thread)


def test_inject_date_tells_the_date(sim_thread: SimulatorThread) -> None:
    _run(_agent(sim_thread, inject_date=True, date_format="%d/%m/%Y"))
    today = datetime.now().strftime("%d/%m/%Y")
    assert f"Current Date: {today}" in _user_prompt(sim_thread)


@pytest.mark.parametrize(
    ("setting", "written"), [(True, "logs.txt"), ("run.json", "run.json"), ("run", "run.txt")]
)
def test_output_log_file_in_crewais_formats(
    sim_thread: SimulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    setting: bool | str, written: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    agent = _agent(sim_thread)
    task = Task(description="Write.", expected_output="A line.", agent=agent, name="draft")
    Crew(agents=[agent], tasks=[task], output_log_file=setting).kickoff()
    text = (tmp_path / written).read_text(encoding="utf-8")
    if written.endswith(".json"):
        entries = json.loads(text)
        assert [entry["status"] for entry in entries] == ["started", "completed"]
        assert entries[0]["task_name"] == "draft" and entries[0]["agent"] == "Writer"
    else:
        lines = text.splitlines()
        assert len(lines) == 2
        assert 'task_name="draft", task="Write.", agent="Writer", status="started"' in lines[0]
        assert 'status="completed", output="' in lines[1]


def test_agent_step_callback_wins_over_the_crew(sim_thread: SimulatorThread) -> None:
    mine: list[AgentStep] = []
    crews: list[AgentStep] = []
    agent = _agent(sim_thread, step_callback=mine.append)
    task = Task(description="Write.", expected_output="A line.", agent=agent)
    Crew(agents=[agent], tasks=[task], step_callback=crews.append).kickoff()
    assert [step.kind for step in mine] == ["final_answer"] and crews == []


def test_crew_output_by_key_and_to_dict(sim_thread: SimulatorThread) -> None:
    agent = _agent(sim_thread, tools=[brief_data])
    output = _run(agent, "Write a brief about tides.", output_pydantic=Brief)
    assert output["title"] == output.pydantic.title
    assert output.to_dict() == output.pydantic.model_dump()
    with pytest.raises(KeyError, match="Key 'nope' not found in CrewOutput."):
        output["nope"]
    assert output.usage_metrics["successful_requests"] >= 1


def test_task_output_has_crewais_fields(sim_thread: SimulatorThread) -> None:
    agent = _agent(sim_thread, tools=[brief_data])
    output = _run(agent, "Write a brief about tides.", output_json=Brief)
    task_output: TaskOutput = output.tasks_output[0]
    assert task_output.description == "Write a brief about tides."
    assert task_output.name == "Write a brief about tides."  # no name: the description
    assert task_output.summary == "Write a brief about tides...."  # as CrewAI: words + "..."
    assert task_output.agent == "Writer"
    assert task_output.output_format is OutputFormat.JSON
    assert json.loads(task_output.json or "") == task_output.json_dict
    assert task_output.messages == [] and not task_output.has_tool_failures
    assert json.loads(output.json or "") == output.json_dict


def test_ids_are_uuid4_and_distinct(sim_thread: SimulatorThread) -> None:
    agent = _agent(sim_thread)
    other = _agent(sim_thread)
    task = Task(description="d", expected_output="e", agent=agent)
    crew = Crew(agents=[agent], tasks=[task])
    assert agent.id != other.id and agent.id.version == 4
    assert task.id.version == 4 and crew.id.version == 4


def test_agent_kickoff_runs_one_task(sim_thread: SimulatorThread) -> None:
    agent = _agent(sim_thread)
    result = agent.kickoff("Summarise {this} in a line.")
    assert result.raw and result.agent_role == "Writer"
    assert "Summarise {this} in a line." in _user_prompt(sim_thread)
    agent.tools = [brief_data]
    structured = agent.kickoff([{"role": "user", "content": "A brief on tides."}], Brief)
    assert isinstance(structured.pydantic, Brief)


@pytest.mark.asyncio
async def test_agent_kickoff_async(sim_thread: SimulatorThread) -> None:
    result = await _agent(sim_thread).kickoff_async("Say hi.")
    assert result.raw


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda crew: crew.train(n_iterations=2, filename="t.pkl"), "Crew.train()"),
        (lambda crew: crew.test(n_iterations=2), "Crew.test()"),
    ],
)
def test_train_and_test_say_they_are_not_supported(
    sim_thread: SimulatorThread, call: Any, names: str
) -> None:
    agent = _agent(sim_thread)
    crew = Crew(agents=[agent], tasks=[Task(description="d", expected_output="e", agent=agent)])
    with pytest.raises(NotImplementedError, match=r"is not supported by CrewDesk\. ") as caught:
        call(crew)
    assert str(caught.value).startswith(names)


def test_verbose_prints_the_steps_as_crewai(
    sim_thread: SimulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = _agent(sim_thread, verbose=2)  # old projects' level; CrewAI 1.15 refuses it
    task = Task(description="Write about tides.", expected_output="A line.", agent=agent)
    Crew(agents=[agent], tasks=[task], verbose=2).kickoff()
    printed = capsys.readouterr().out
    assert "# Agent: Writer\n## Task: Write about tides." in printed
    assert "# Agent: Writer\n## Final Answer:\n" in printed
    quiet = _agent(sim_thread)
    Crew(agents=[quiet], tasks=[Task(description="d", expected_output="e", agent=quiet)]).kickoff()
    assert capsys.readouterr().out == ""


def test_guardrails_run_in_order_then_guardrail(sim_thread: SimulatorThread) -> None:
    seen: list[str] = []

    def shout(output: TaskOutput) -> tuple[bool, Any]:
        seen.append("shout")
        return True, output.raw.upper()

    def once_refused(output: TaskOutput) -> tuple[bool, Any]:
        seen.append("check")
        return (seen.count("check") > 1, "say it again" if seen.count("check") == 1 else None)

    def last(output: TaskOutput) -> tuple[bool, Any]:
        seen.append("last")
        assert output.raw == output.raw.upper()
        return True, output.raw + " (checked)"

    output = _run(_agent(sim_thread), guardrails=[shout, once_refused], guardrail=last)
    assert seen == ["shout", "check", "shout", "check", "last"]
    assert output.raw.endswith(" (checked)") and output.raw[:-10] == output.raw[:-10].upper()


def test_agent_guardrail_checks_kickoff_answers(sim_thread: SimulatorThread) -> None:
    checked: list[str] = []

    def tagged(output: TaskOutput) -> tuple[bool, Any]:
        checked.append(output.raw)
        if len(checked) == 1:
            return False, "add a tag"
        return True, output.raw + " #tides"

    agent = _agent(sim_thread, guardrail=tagged, guardrail_max_retries=1)
    result = agent.kickoff("Say something about tides.")
    assert len(checked) == 2 and result.raw.endswith(" #tides")
    refusing = _agent(sim_thread, guardrail=lambda _out: (False, "never"), guardrail_max_retries=0)
    with pytest.raises(TaskExecutionError, match="after 0 retries. Last error: never"):
        refusing.kickoff("Say hi.")


def test_task_max_retries_is_crewais_deprecated_guardrail_max_retries() -> None:
    with pytest.warns(DeprecationWarning, match="'max_retries' parameter is deprecated"):
        task = Task(description="d", expected_output="e", max_retries=5)
    assert task.guardrail_max_retries == 5 and task.max_retries is None
