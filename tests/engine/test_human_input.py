"""`Task(human_input=True)` through the public API, against the simulator over HTTP.

The simulator answers "Answer to: <first line of the last user message>", so a revised
answer starts with "Answer to: User feedback: <the feedback>": proof the feedback reached
the model.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop_app.engine import (
    LLM,
    Agent,
    Crew,
    HumanInputRequest,
    Process,
    Task,
    TaskExecutionError,
    TaskOutput,
)
from desktop_app.simulator import Simulator

REPO = Path(__file__).resolve().parents[2]


def _crew(llm: LLM, handler: Any = None, **task_options: Any) -> Crew:
    agent = Agent(role="Writer", goal="Write", backstory="Clear.", llm=llm)
    task = Task(
        description="Summarise the tides",
        expected_output="a summary",
        agent=agent,
        name="summary",
        human_input=True,
        **task_options,
    )
    return Crew(agents=[agent], tasks=[task], human_input_handler=handler)


@pytest.mark.asyncio
async def test_an_async_handler_reviews_until_it_approves_and_the_agent_revises(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    requests: list[HumanInputRequest] = []
    answers = iter(["Mention the moon", "  Shorter please  ", ""])
    checked: list[str] = []

    async def handler(request: HumanInputRequest) -> str:
        requests.append(request)
        await asyncio.sleep(0)
        return next(answers)

    def guardrail(output: TaskOutput) -> tuple[bool, Any]:
        checked.append(output.raw)
        return True, output.raw

    stream = _crew(llm_on(), handler, guardrail=guardrail).stream_events()
    events = [event async for event in stream]
    output = stream.value()

    assert [r.round for r in requests] == [1, 2, 3]
    assert requests[0].output.startswith("Answer to: Current Task: Summarise the tides.")
    assert requests[1].output.startswith("Answer to: User feedback: Mention the moon.")
    assert requests[2].output.startswith("Answer to: User feedback: Shorter please.")
    assert (requests[0].agent_role, requests[0].task_name) == ("Writer", "summary")
    assert requests[0].description == "Summarise the tides"
    assert output.raw == requests[2].output
    assert checked == [r.output for r in requests]  # each answer went through the guardrail
    kinds = [e.kind for e in events]
    asked = [i for i, kind in enumerate(kinds) if kind == "human_input_requested"]
    answered = [e for e in events if e.kind == "human_input_received"]
    assert len(asked) == 3 and kinds.index("task_started") < asked[0]
    assert asked[-1] < kinds.index("task_finished")
    assert [e.feedback for e in answered] == ["Mention the moon", "Shorter please", ""]
    revision = sim.stats.requests[1].body["messages"]
    assert revision[-2] == {"role": "assistant", "content": requests[0].output}
    assert "Use this feedback to enhance the next output" in revision[-1]["content"]


@pytest.mark.asyncio
async def test_kickoff_async_calls_a_sync_handler_in_its_worker_thread(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    threads: list[threading.Thread] = []
    answers = iter(["Add a title", ""])

    def handler(request: HumanInputRequest) -> str:
        threads.append(threading.current_thread())
        return next(answers)

    result = await _crew(llm_on(), handler).kickoff_async()

    assert result.raw.startswith("Answer to: User feedback: Add a title.")
    assert len(threads) == 2 and threading.current_thread() not in threads
    assert len(sim.stats.requests) == 2


@pytest.mark.asyncio
async def test_akickoff_runs_a_sync_handler_off_the_loop(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    loop_thread = threading.current_thread()
    seen: list[bool] = []

    def handler(request: HumanInputRequest) -> None:
        seen.append(threading.current_thread() is loop_thread)
        return None  # approves, like an empty answer

    result = await _crew(llm_on(), handler).akickoff()
    assert seen == [False]
    assert result.raw.startswith("Answer to: Current Task: Summarise the tides.")


@pytest.mark.asyncio
async def test_a_hierarchical_manager_revises_with_its_coworkers(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    writer = Agent(role="Writer", goal="Write", backstory="Clear.", llm=llm_on())
    ask = json.dumps({"coworker": "Writer", "question": "Can it be shorter?"})
    task = Task(
        description="Plan the issue\nsim-call: none", expected_output="a plan", human_input=True
    )
    feedback = iter([f"Ask the writer\nsim-call: Ask_question_to_coworker {ask}", ""])
    roles: list[str] = []

    async def handler(request: HumanInputRequest) -> str:
        roles.append(request.agent_role)
        return next(feedback)

    crew = Crew(
        agents=[writer],
        tasks=[task],
        process=Process.hierarchical,
        manager_llm=llm_on(),
        human_input_handler=handler,
    )
    result = await crew.akickoff()

    assert roles == ["Crew Manager", "Crew Manager"]
    assert result.raw.startswith("Result: Answer to: Current Task: Can it be shorter?.")
    assert len(sim.stats.requests) == 4  # manager, manager (delegates), writer, manager


@pytest.mark.asyncio
async def test_a_handler_that_returns_no_text_fails_the_task(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    async def handler(request: HumanInputRequest) -> Any:
        return 42

    with pytest.raises(TaskExecutionError, match="must return the feedback as a str, not int"):
        await _crew(llm_on(), handler).akickoff()


@pytest.mark.asyncio
async def test_cancelling_the_run_cancels_the_wait_for_feedback(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    asked = asyncio.Event()
    never: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def handler(request: HumanInputRequest) -> str:
        asked.set()
        return await never

    stream = _crew(llm_on(), handler).stream_events()
    kinds: list[str] = []

    async def read() -> None:
        async for event in stream:
            kinds.append(event.kind)

    reader = asyncio.ensure_future(read())
    await asyncio.wait_for(asked.wait(), 10)
    await stream.aclose()
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert never.cancelled()
    assert "human_input_requested" in kinds and "task_finished" not in kinds


_STDIN_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from desktop_app.engine import LLM, Agent, Crew, Task
    from desktop_app.simulator import SimulatorConfig, SimulatorThread

    with SimulatorThread(SimulatorConfig(ttft=0.001, tokens_per_second=5000.0)) as sim:
        def crew():
            llm = LLM("openai/sim", base_url=sim.base_url, api_key="sk-test")
            agent = Agent(role="Writer", goal="Write", backstory="Clear.", llm=llm)
            task = Task(description="Summarise the tides", expected_output="a summary",
                        agent=agent, human_input=True)
            return Crew(agents=[agent], tasks=[task])
        first = crew().kickoff()
        second = asyncio.run(crew().akickoff())
    print("KICKOFF=" + first.raw.split(".")[0])
    print("AKICKOFF=" + second.raw.split(".")[0])
""")


def test_without_a_handler_kickoff_and_akickoff_read_the_feedback_from_stdin() -> None:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run(
        [sys.executable, "-c", _STDIN_SCRIPT],
        input="Cite sources\n\nAdd dates\n",
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("## HUMAN FEEDBACK") == 4  # the last question meets the end of stdin
    assert "## Final Result of task 1 (Writer):\nAnswer to: Current Task" in done.stdout
    assert "KICKOFF=Answer to: User feedback: Cite sources" in done.stdout
    assert "AKICKOFF=Answer to: User feedback: Add dates" in done.stdout
