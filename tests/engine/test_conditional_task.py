"""`ConditionalTask` (CrewAI's): runs only when its condition holds of the previous task's
output; a skipped one makes no LLM request and leaves CrewAI's empty output."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from desktop_app.engine import (
    Agent,
    ConditionalTask,
    Crew,
    OutputFormat,
    RunEvent,
    Task,
    TaskExecutionError,
    TaskOutput,
    bus,
)
from desktop_app.simulator import SimulatorThread
from tests.engine.conftest import make_llm


def _agent(sim: SimulatorThread, role: str = "Analyst") -> Agent:
    return Agent(role=role, goal="Look", backstory="Careful.", llm=make_llm(sim.base_url))


def _first(agent: Agent) -> Task:
    return Task(description="Find the {topic} figures", expected_output="figures", agent=agent)


def _kickoff(crew: Crew, inputs: dict[str, Any] | None = None) -> tuple[Any, list[RunEvent]]:
    events: list[RunEvent] = []
    unsubscribe = bus.subscribe(events.append)
    try:
        return crew.kickoff(inputs=inputs), events
    finally:
        unsubscribe()


def test_a_true_condition_runs_the_task_on_the_previous_output(
    sim_thread: SimulatorThread,
) -> None:
    agent = _agent(sim_thread)
    seen: list[TaskOutput] = []

    def wanted(output: TaskOutput) -> bool:
        seen.append(output)
        return "sales" in output.raw

    report = ConditionalTask(
        condition=wanted, description="Report on {topic}", expected_output="a report",
        agent=agent,
    )
    crew = Crew(agents=[agent], tasks=[_first(agent), report])
    result, events = _kickoff(crew, {"topic": "sales"})
    assert len(sim_thread.stats.requests) == 2
    assert [output.raw for output in seen] == [result.tasks_output[0].raw]
    assert result.raw == result.tasks_output[1].raw
    assert result.raw.startswith("Answer to: Current Task: Report on sales")
    assert report.output is result.tasks_output[1]
    assert [e.kind for e in events].count("task_started") == 2
    assert "task_skipped" not in [e.kind for e in events]


def test_a_false_condition_skips_the_task_as_crewai(sim_thread: SimulatorThread) -> None:
    agent = _agent(sim_thread)
    finished: list[TaskOutput] = []
    report = ConditionalTask(
        condition=lambda output: False, description="Report on {topic}",
        expected_output="a report", agent=agent, callback=finished.append,
    )
    crew = Crew(agents=[agent], tasks=[_first(agent), report], task_callback=finished.append)
    result, events = _kickoff(crew, {"topic": "sales"})
    assert len(sim_thread.stats.requests) == 1  # no request for the skipped task
    first, skipped = result.tasks_output
    assert result.raw == first.raw  # the last answer that is not empty, as CrewAI
    assert skipped == TaskOutput(
        description="Report on sales", summary="Report on sales...", raw="", agent="Analyst",
        output_format=OutputFormat.RAW,
    )
    assert report.output is None
    assert finished == [first]  # no callback for a skipped task
    task_events = [(e.kind, getattr(e, "task_index", None)) for e in events]
    assert ("task_started", 1) not in task_events
    assert ("task_skipped", 1) in task_events
    assert report.get_skipped_task_output().description == "Report on {topic}"


def test_the_condition_sees_a_skipped_task_and_waits_for_async_ones(
    sim_thread: SimulatorThread,
) -> None:
    agent = _agent(sim_thread)
    seen: list[str] = []

    def note(answer: bool) -> Any:
        return lambda output: seen.append(output.raw) or answer

    crew = Crew(agents=[agent], tasks=[
        Task(description="Gather", expected_output="notes", agent=agent, async_execution=True),
        ConditionalTask(note(False), description="Maybe", expected_output="x", agent=agent),
        ConditionalTask(note(True), description="Then", expected_output="y", agent=agent),
        Task(description="Sum up", expected_output="z", agent=agent),
    ])
    result, _ = _kickoff(crew)
    assert seen == [result.tasks_output[0].raw, ""]
    assert [bool(output.raw) for output in result.tasks_output] == [True, False, True, True]
    assert len(sim_thread.stats.requests) == 3
    last = sim_thread.stats.requests[-1].body["messages"][-1]["content"]
    assert "----------\n\n\n\n----------" not in last  # the empty output adds no context


def test_a_skipped_last_task_leaves_the_crew_output_to_the_one_before(
    sim_thread: SimulatorThread,
) -> None:
    agent = _agent(sim_thread)
    crew = Crew(agents=[agent], tasks=[
        _first(agent),
        ConditionalTask(condition=lambda _: False, description="More", expected_output="x",
                        agent=agent),
    ])
    result, _ = _kickoff(crew, {"topic": "rain"})
    assert result.raw == result.tasks_output[0].raw != ""
    assert len(result.tasks_output) == 2


def test_a_failing_condition_fails_its_task(sim_thread: SimulatorThread) -> None:
    agent = _agent(sim_thread)

    def broken(output: TaskOutput) -> bool:
        raise RuntimeError("no figures")

    crew = Crew(agents=[agent], tasks=[
        _first(agent),
        ConditionalTask(condition=broken, name="check", description="d", expected_output="e",
                        agent=agent),
    ])
    with pytest.raises(TaskExecutionError, match="Task 'check'.*no figures"):
        crew.kickoff(inputs={"topic": "rain"})


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        (["conditional"], "Crew must include at least one non-conditional task"),
        (["conditional", "plain"], "The first task cannot be a ConditionalTask."),
        (["plain", "async conditional"], "Conditional Task: d, cannot be executed asynchronously."),
    ],
)
def test_crewai_refuses_these_crews(tasks: list[str], message: str) -> None:
    agent = Agent(role="r", goal="g", backstory="b")

    def made(kind: str) -> Task:
        if kind == "plain":
            return Task(description="d", expected_output="e", agent=agent)
        return ConditionalTask(
            condition=bool, description="d", expected_output="e", agent=agent,
            async_execution=kind.startswith("async"),
        )

    with pytest.raises(ValidationError, match=message):
        Crew(agents=[agent], tasks=[made(kind) for kind in tasks])


def test_a_conditional_task_without_a_condition_says_so() -> None:
    task = ConditionalTask(description="d", expected_output="e")
    with pytest.raises(ValueError, match="No condition function set"):
        task.should_execute(TaskOutput(description="d"))
