"""`Task(async_execution=True)`: concurrent tasks, waiting for context, failures, both paths."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from desktop_app.engine import LLM, Agent, Crew, Task, TaskExecutionError
from desktop_app.simulator import Simulator, SimulatorThread
from tests.engine.conftest import make_llm


def _agent(llm: LLM, role: str = "Researcher") -> Agent:
    return Agent(role=role, goal="Find facts", backstory="Curious.", llm=llm)


def _research_crew(agent: Agent, writer: Agent | None = None) -> Crew:
    """Two async research tasks on one agent, then a writer that reads both."""
    tides = Task(description="Research tides", expected_output="facts", agent=agent,
                 name="tides", async_execution=True)
    winds = Task(description="Research winds", expected_output="facts", agent=agent,
                 name="winds", async_execution=True)
    write = Task(description="Write the report", expected_output="a report",
                 agent=writer or agent, name="write", context=[tides, winds])
    return Crew(agents=[agent], tasks=[tides, winds, write])


@pytest.mark.asyncio
async def test_two_async_tasks_on_one_agent_run_at_once_and_feed_the_next(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _research_crew(_agent(llm_on("ttft=0.4")))
    await Crew(tasks=[crew.tasks[2].model_copy(update={"context": []})]).akickoff()  # warm-up
    sim.stats.reset()
    started = time.monotonic()
    result = await crew.akickoff()
    elapsed = time.monotonic() - started

    assert sim.stats.max_in_flight == 2
    assert elapsed < 1.15  # two rounds of 0.4 s, not three
    assert [out.name for out in result.tasks_output] == ["tides", "winds", "write"]
    assert result.tasks_output[0].raw.startswith("Answer to: Current Task: Research tides.")
    assert result.tasks_output[1].raw.startswith("Answer to: Current Task: Research winds.")
    writer_prompt = sim.stats.requests[2].body["messages"][1]["content"]
    assert result.tasks_output[0].raw in writer_prompt
    assert result.tasks_output[1].raw in writer_prompt
    assert result.raw == result.tasks_output[2].raw


@pytest.mark.asyncio
async def test_an_async_task_runs_beside_tasks_that_do_not_need_it_and_the_crew_waits(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    slow, quick = _agent(llm_on("ttft=0.5"), "Slow"), _agent(llm_on("ttft=0.05"), "Quick")
    background = Task(description="Background study", expected_output="notes", agent=slow,
                      async_execution=True)
    first = Task(description="First step", expected_output="x", agent=quick, context=[])
    second = Task(description="Second step", expected_output="x", agent=quick, context=[first])
    result = await Crew(agents=[slow, quick], tasks=[background, first, second]).akickoff()

    order = [request.body["messages"][1]["content"].split("\n")[0] for request in sim.stats.requests]
    assert order[0] == "Current Task: Background study"
    assert sim.stats.max_in_flight == 2
    assert [out.agent for out in result.tasks_output] == ["Slow", "Quick", "Quick"]
    assert result.tasks_output[0].raw.startswith("Answer to: Current Task: Background study.")


@pytest.mark.asyncio
async def test_a_sync_task_with_default_context_waits_for_earlier_async_tasks(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    agent = _agent(llm_on("ttft=0.2"))
    early = Task(description="Early", expected_output="x", agent=agent, async_execution=True)
    late = Task(description="Late", expected_output="x", agent=agent)
    result = await Crew(agents=[agent], tasks=[early, late]).akickoff()

    assert sim.stats.max_in_flight == 1
    assert result.tasks_output[0].raw in sim.stats.requests[1].body["messages"][1]["content"]


@pytest.mark.asyncio
async def test_a_failing_async_task_fails_the_run_at_once_and_stops_the_others(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    broken = _agent(llm_on("status=400", max_retries=0), "Broken")
    slow = _agent(llm_on("ttft=3.0"), "Slow")
    doomed = Task(description="Doomed", expected_output="x", agent=broken, async_execution=True)
    long = Task(description="Long", expected_output="x", agent=slow, context=[])
    started = time.monotonic()
    with pytest.raises(TaskExecutionError) as caught:
        await Crew(agents=[broken, slow], tasks=[doomed, long]).akickoff()

    assert time.monotonic() - started < 2.0
    assert caught.value.task_index == 0 and caught.value.agent_role == "Broken"
    await asyncio.sleep(0.1)
    assert sim.stats.in_flight == 0


def test_async_tasks_run_in_threads_on_the_blocking_kickoff(sim_thread: SimulatorThread) -> None:
    agent = _agent(make_llm(sim_thread.base_url, "ttft=0.3"))
    steps: list[str] = []
    crew = _research_crew(agent)
    crew.step_callback = lambda step: steps.append(step.kind)
    result = crew.kickoff()

    assert sim_thread.stats.max_in_flight == 2
    assert steps == ["final_answer"] * 3
    assert result.token_usage.successful_requests == 3
    assert [out.name for out in result.tasks_output] == ["tides", "winds", "write"]
    writer_prompt = sim_thread.stats.requests[2].body["messages"][1]["content"]
    assert result.tasks_output[0].raw in writer_prompt
    assert result.tasks_output[1].raw in writer_prompt


@pytest.mark.asyncio
async def test_async_tasks_work_on_kickoff_async(llm_on: Callable[..., LLM]) -> None:
    result = await _research_crew(_agent(llm_on())).kickoff_async()
    assert [out.name for out in result.tasks_output] == ["tides", "winds", "write"]
