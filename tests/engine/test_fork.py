"""Runs that start from a task (`_fork`): the tasks before it reuse given outputs and make no
model call (the simulator's request count proves it); `Crew.replay(task_id)` maps onto it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from desktop_app.engine import LLM, Agent, Crew, CrewOutput, Task, TaskOutput
from desktop_app.engine import events as ev
from desktop_app.simulator import Simulator, SimulatorThread
from tests.engine.conftest import make_llm


def _crew(llm: LLM) -> Crew:
    writer = Agent(role="Writer", goal="Write", backstory="Plain.", llm=llm)
    tasks = [
        Task(description=f"Step {n} about {{topic}}", expected_output="text", agent=writer)
        for n in (1, 2, 3)
    ]
    return Crew(agents=[writer], tasks=tasks)


def _given(text: str, index: int) -> TaskOutput:
    return TaskOutput(description=f"Step {index + 1}", raw=text, agent="Writer")


def _user_text(sim: Simulator | SimulatorThread, request: int) -> str:
    messages = sim.stats.requests[request].body["messages"]
    return " ".join(str(m["content"]) for m in messages if m["role"] == "user")


@pytest.mark.asyncio
async def test_a_fork_from_task_3_calls_the_model_once_with_the_reused_context(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(llm_on())
    reuse = {0: _given("FIRST-STORED", 0), 1: _given("SECOND-STORED", 1)}
    stream = crew.stream_events({"topic": "tides"}, reuse=reuse)
    events = [event async for event in stream]
    output = stream.value()
    assert len(sim.stats.requests) == 1
    assert "SECOND-STORED" in _user_text(sim, 0) and "FIRST-STORED" in _user_text(sim, 0)
    finished = [e for e in events if isinstance(e, ev.TaskFinished)]
    assert [(e.task_index, e.reused) for e in finished] == [(0, True), (1, True), (2, False)]
    assert [e.task_index for e in events if isinstance(e, ev.TaskStarted)] == [2]
    assert [t.raw for t in output.tasks_output[:2]] == ["FIRST-STORED", "SECOND-STORED"]
    assert output.raw == output.tasks_output[2].raw != ""


@pytest.mark.asyncio
async def test_a_fork_in_a_worker_thread_reuses_too(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(llm_on())
    stream = crew.stream_events({"topic": "tides"}, mode="kickoff_async",
                                reuse={0: _given("ONLY-STORED", 0)})
    _ = [event async for event in stream]
    assert len(sim.stats.requests) == 2
    assert "ONLY-STORED" in _user_text(sim, 0)


@pytest.mark.asyncio
async def test_reusing_a_task_the_crew_lacks_or_every_task_is_refused(
    llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(llm_on())
    with pytest.raises(ValueError, match="task 5: the crew has 3 tasks"):
        crew.stream_events({"topic": "x"}, reuse={4: _given("x", 4)})
    everything = {i: _given("x", i) for i in range(3)}
    with pytest.raises(ValueError, match="at least one task must run"):
        crew.stream_events({"topic": "x"}, reuse=everything)


def test_replay_runs_again_from_a_task_of_the_latest_run(sim_thread: SimulatorThread) -> None:
    crew = _crew(make_llm(sim_thread.base_url))
    first: CrewOutput = crew.kickoff({"topic": "tides"})
    assert len(sim_thread.stats.requests) == 3
    again: CrewOutput = crew.replay(str(crew.tasks[1].id), {"topic": "tides"})
    assert len(sim_thread.stats.requests) == 5  # tasks 2 and 3 only
    assert again.tasks_output[0].raw == first.tasks_output[0].raw
    assert first.tasks_output[0].raw in _user_text(sim_thread, 3)


def test_replay_names_a_missing_task_or_one_that_never_ran(sim_thread: SimulatorThread) -> None:
    crew = _crew(make_llm(sim_thread.base_url))
    with pytest.raises(ValueError, match="not found"):
        crew.replay("no-such-id")
    with pytest.raises(ValueError, match="task 1 has no output from an earlier run"):
        crew.replay(str(crew.tasks[2].id), {"topic": "x"})
    assert sim_thread.stats.requests == []
