"""`Crew(planning=True)` and `Agent(reasoning=True)`, through the public API and the simulator.

The simulator answers a `json_schema` response format with JSON that fits the schema, and
calls an offered function with arguments that fit its parameters, so the planner's and the
agent's plans are deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from desktop_app.engine import LLM, Agent, Crew, CrewOutput, RunEvent, Task
from desktop_app.engine._reasoning import read_plan
from desktop_app.engine.llm import LLMResult, ToolCallRequest
from desktop_app.engine.outputs import UsageMetrics
from desktop_app.simulator import Simulator, SimulatorThread
from tests.engine.conftest import make_llm


async def _run(crew: Crew) -> tuple[list[RunEvent], CrewOutput]:
    stream = crew.stream_events()
    events = [event async for event in stream]
    return events, stream.value()


def _two_tasks(llm: Callable[..., LLM]) -> tuple[list[Agent], list[Task]]:
    researcher = Agent(role="Researcher", goal="Find facts", backstory="Keen.", llm=llm())
    writer = Agent(role="Writer", goal="Write well", backstory="Clear.", llm=llm())
    tasks = [
        Task(description="Research tides", expected_output="facts", agent=researcher),
        Task(description="Write about tides", expected_output="an article", agent=writer),
    ]
    return [researcher, writer], tasks


@pytest.mark.asyncio
async def test_planning_asks_the_planning_llm_once_and_each_plan_reaches_its_task(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    agents, tasks = _two_tasks(llm_on)
    crew = Crew(agents=agents, tasks=tasks, planning=True, planning_llm=llm_on("tokens=5"))
    events, output = await _run(crew)

    kinds = [e.kind for e in events if e.kind not in ("text", "usage")]
    assert kinds[:4] == ["run_started", "plan_created", "plan_created", "task_started"]
    plans = [e for e in events if e.kind == "plan_created"]
    assert [(p.task_index, p.agent_role, p.source) for p in plans] == [
        (0, "Researcher", "crew_planning"), (1, "Writer", "crew_planning"),
    ]
    planner, *workers = sim.stats.requests
    assert planner.body["model"] == "sim:tokens=5"
    assert planner.body["response_format"]["type"] == "json_schema"
    assert planner.body["messages"][0]["content"].startswith("You are Task Execution Planner.")
    summary = planner.body["messages"][1]["content"]
    assert "Task Number 1 - Research tides" in summary and '"agent": Writer' in summary
    assert [r.body["model"] for r in workers] == ["sim", "sim"]
    for plan, request in zip(plans, workers, strict=True):
        assert plan.plan and plan.plan in request.body["messages"][1]["content"]
    started = [e for e in events if e.kind == "task_started"]
    assert started[0].description == "Research tides" + plans[0].plan
    assert output.token_usage.successful_requests == 3


@pytest.mark.asyncio
async def test_planning_without_planning_llm_uses_the_default_model(
    sim: Simulator, llm_on: Callable[..., LLM], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODEL", "openai/sim:tokens=4")
    monkeypatch.setenv("OPENAI_BASE_URL", sim.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    agents, tasks = _two_tasks(llm_on)
    events, _ = await _run(Crew(agents=agents, tasks=tasks, planning=True))

    assert sim.stats.requests[0].body["model"] == "sim:tokens=4"
    assert len([e for e in events if e.kind == "plan_created"]) == 2


@pytest.mark.asyncio
async def test_a_reasoning_agent_plans_before_its_task_and_the_plan_is_in_the_prompt(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    agent = Agent(role="Analyst", goal="Analyse", backstory="Sharp.", llm=llm_on(),
                  reasoning=True)
    task = Task(description="Compare two tide tables", expected_output="a table", agent=agent)
    events, _ = await _run(Crew(agents=[agent], tasks=[task]))

    reasoning, work = sim.stats.requests
    assert reasoning.body["messages"][0]["content"].startswith(
        "You are a strategic planning assistant."
    )
    assert "## Task\nCompare two tide tables" in reasoning.body["messages"][1]["content"]
    assert [t["function"]["name"] for t in reasoning.body["tools"]] == ["create_reasoning_plan"]
    plan = next(e for e in events if e.kind == "plan_created")
    assert (plan.source, plan.agent_role, plan.ready, plan.attempts) == (
        "agent_reasoning", "Analyst", True, 1
    )
    assert f"Compare two tide tables\n\nPlanning:\n{plan.plan}" in work.body["messages"][1][
        "content"
    ]


@pytest.mark.asyncio
async def test_an_agent_not_ready_refines_its_plan_up_to_max_reasoning_attempts(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    not_ready = {"plan": "Look around first", "steps": [], "ready": False}
    agent = Agent(role="Analyst", goal="Analyse", backstory="Sharp.", llm=llm_on(),
                  reasoning=True, max_reasoning_attempts=3)
    task = Task(
        description=f"Compare tables\nsim-call: create_reasoning_plan {json.dumps(not_ready)}",
        expected_output="a table",
        agent=agent,
    )
    events, _ = await _run(Crew(agents=[agent], tasks=[task]))

    refine = sim.stats.requests[1].body["messages"][1]["content"]
    assert refine.startswith("Your previous plan:\nLook around first\n\nYou indicated")
    plan = next(e for e in events if e.kind == "plan_created")
    assert (plan.ready, plan.attempts) == (True, 2)


@pytest.mark.asyncio
async def test_attempts_run_out_with_max_reasoning_attempts_one(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    not_ready = {"plan": "Unsure", "steps": [], "ready": False}
    agent = Agent(role="Analyst", goal="Analyse", backstory="Sharp.", llm=llm_on(),
                  reasoning=True, max_reasoning_attempts=1)
    task = Task(
        description=f"Compare\nsim-call: create_reasoning_plan {json.dumps(not_ready)}",
        expected_output="a table",
        agent=agent,
    )
    events, _ = await _run(Crew(agents=[agent], tasks=[task]))

    plan = next(e for e in events if e.kind == "plan_created")
    assert (plan.plan, plan.ready, plan.attempts) == ("Unsure", False, 1)


def _result(text: str, *calls: ToolCallRequest) -> LLMResult:
    return LLMResult(text=text, tool_calls=list(calls), usage=UsageMetrics(), cost_usd=None,
                     finish_reason="stop")


def test_a_plan_is_read_from_the_function_call_or_from_the_text() -> None:
    arguments = {"plan": "Two steps", "ready": True, "steps": [
        {"step_number": 1, "description": "Search", "tool_to_use": "search", "depends_on": []},
        {"step_number": 2, "description": "Write", "tool_to_use": None, "depends_on": [1]},
    ]}
    called = read_plan(_result("", ToolCallRequest("c1", "create_reasoning_plan",
                                                   json.dumps(arguments))))
    assert (called.text, called.ready) == ("Two steps\n1. Search (tool: search)\n2. Write", True)
    assert read_plan(_result("1. Read\n2. Write\nREADY")).ready
    assert not read_plan(_result("1. Read\nNOT READY: I need the data")).ready
    assert read_plan(_result("")).text == "No plan was generated."


def test_planning_on_the_blocking_kickoff_path(sim_thread: SimulatorThread) -> None:
    base_url = sim_thread.base_url
    agent = Agent(role="Solo", goal="g", backstory="b", llm=make_llm(base_url))
    task = Task(description="Do it", expected_output="done", agent=agent)
    planner = make_llm(base_url, "tokens=3")
    crew = Crew(agents=[agent], tasks=[task], planning=True, planning_llm=planner)
    output = crew.kickoff()

    requests = sim_thread.stats.requests
    assert [r.body["model"] for r in requests] == ["sim:tokens=3", "sim"]
    assert output.raw.startswith("Answer to: Current Task: Do it")
