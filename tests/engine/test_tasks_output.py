"""Task output features: output_pydantic/output_json, guardrails, output_file, callbacks.

A task with an output model asks for it through `response_format` on the calls that offer no
tools (as CrewAI 1.15), and the simulator answers those with JSON that fits the schema. Calls
that offer tools do not ask for it: there the simulator calls the tool, then reports its output
("Result: ..."), and the engine finds the JSON object inside that sentence. The model
`sim:structured=0` ignores `response_format` and echoes the prompt ("Answer to: ..."), as a
provider that does not follow schemas: it exercises the format retry and the error after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from desktop_app.engine import (
    LLM,
    Agent,
    BaseTool,
    Crew,
    CrewOutput,
    Task,
    TaskExecutionError,
    TaskOutput,
    tool,
)
from desktop_app.simulator import Simulator


class Report(BaseModel):
    title: str
    points: int


@tool
def report_data(topic: str) -> str:
    """Facts about a topic, as JSON."""
    return json.dumps({"title": f"On {topic}", "points": 3})


def _crew(llm: LLM, tools: list[BaseTool] | None = None, **task_options: Any) -> Crew:
    agent = Agent(role="Analyst", goal="Report", backstory="Exact.", llm=llm, tools=tools or [])
    task = Task(description="Report on tides", expected_output="a report", agent=agent,
                **task_options)
    return Crew(agents=[agent], tasks=[task])


def _last_user_message(sim: Simulator, request: int) -> str:
    messages = sim.stats.requests[request].body["messages"]
    return str([m for m in messages if m["role"] == "user"][-1]["content"])


@pytest.mark.asyncio
async def test_output_pydantic_fills_the_task_and_crew_outputs(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    result = await _crew(llm_on(), [report_data], output_pydantic=Report).akickoff()

    assert result.raw.startswith('Result: {"title": "On Current", "points": 3}.')
    assert result.pydantic == Report(title="On Current", points=3)
    assert result.json_dict == {"title": "On Current", "points": 3}
    task_output = result.tasks_output[0]
    assert task_output.output_format == "pydantic"
    assert task_output.pydantic == result.pydantic
    assert '"title": {"title": "Title", "type": "string"}' in _last_user_message(sim, 0)
    assert [r.body.get("response_format") for r in sim.stats.requests] == [None, None]


@pytest.mark.asyncio
async def test_an_agent_without_tools_asks_the_provider_for_the_output_model(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    result = await _crew(llm_on(), output_pydantic=Report).akickoff()

    assert len(sim.stats.requests) == 1
    assert sim.stats.requests[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Report", "schema": Report.model_json_schema()},
    }
    assert isinstance(result.pydantic, Report)
    assert result.json_dict == json.loads(result.raw)


@pytest.mark.asyncio
async def test_output_json_fills_json_dict(llm_on: Callable[..., LLM]) -> None:
    result = await _crew(llm_on(), [report_data], output_json=Report).akickoff()
    assert result.tasks_output[0].output_format == "json"
    assert result.json_dict == {"title": "On Current", "points": 3}
    assert result.pydantic is None
    assert result.to_dict() == {"title": "On Current", "points": 3}


@pytest.mark.asyncio
async def test_an_answer_that_does_not_fit_is_asked_again_then_fails_clearly(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    with pytest.raises(TaskExecutionError) as caught:
        await _crew(llm_on("structured=0"), output_pydantic=Report).akickoff()

    assert len(sim.stats.requests) == 2
    assert sim.stats.requests[1].body["response_format"]["type"] == "json_schema"
    retry = _last_user_message(sim, 1)
    assert retry.startswith(
        "Your previous answer does not fit the required format: the answer holds no JSON object"
    )
    assert sim.stats.requests[1].body["messages"][-2]["role"] == "assistant"
    assert str(caught.value) == (
        "Task 1 (agent 'Analyst') failed: the answer did not fit output_pydantic Report after "
        "2 attempts: the answer holds no JSON object"
    )


@pytest.mark.asyncio
async def test_the_retry_names_the_field_that_failed_validation(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    @tool
    def bad_data(topic: str) -> str:
        """Facts about a topic, as JSON."""
        return json.dumps({"title": topic, "points": "many"})

    with pytest.raises(TaskExecutionError, match="output_json Report after 2 attempts"):
        await _crew(llm_on("structured=0"), [bad_data], output_json=Report).akickoff()
    assert _last_user_message(sim, 2).startswith(
        "Your previous answer does not fit the required format: points: Input should be a "
        "valid integer, unable to parse string as an integer\nYour final answer must be only"
    )
    assert sim.stats.requests[2].body.get("tools") is None
    assert sim.stats.requests[2].body["response_format"]["json_schema"]["name"] == "Report"


@pytest.mark.asyncio
async def test_with_tools_the_format_retry_gets_the_output_model_from_the_provider(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    @tool
    def notes(topic: str) -> str:
        """Notes about a topic."""
        return f"{topic} rise twice a day"

    result = await _crew(llm_on(), [notes], output_json=Report).akickoff()

    first, after_tool, retry = (r.body for r in sim.stats.requests)
    assert "response_format" not in first and "response_format" not in after_tool
    assert retry.get("tools") is None and retry["response_format"]["type"] == "json_schema"
    assert result.json_dict is not None and set(result.json_dict) == {"title", "points"}


def test_a_task_takes_one_output_model() -> None:
    with pytest.raises(ValidationError, match="Only one output format"):
        Task(description="d", expected_output="e", output_pydantic=Report, output_json=Report)


@pytest.mark.asyncio
async def test_a_guardrail_sends_the_agent_back_until_it_passes(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    seen: list[str] = []

    def must_mention_check(output: TaskOutput) -> tuple[bool, Any]:
        seen.append(output.raw)
        if "did not pass" in output.raw:
            return True, output.raw
        return False, "mention the check"

    result = await _crew(llm_on(), guardrail=must_mention_check).akickoff()

    assert len(seen) == 2 and len(sim.stats.requests) == 2
    assert _last_user_message(sim, 1).startswith(
        "Your previous answer did not pass the task's check: mention the check"
    )
    assert result.raw.startswith("Answer to: Your previous answer did not pass the task's check")


@pytest.mark.asyncio
async def test_a_guardrail_that_keeps_refusing_fails_after_its_retries(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    async def never(output: TaskOutput) -> tuple[bool, Any]:
        return False, "too vague"

    with pytest.raises(TaskExecutionError, match="Task failed guardrail validation after 2 "
                       "retries. Last error: too vague"):
        await _crew(llm_on(), guardrail=never, guardrail_max_retries=2).akickoff()
    assert len(sim.stats.requests) == 3


@pytest.mark.asyncio
async def test_a_guardrail_can_turn_the_answer_into_structured_output(
    llm_on: Callable[..., LLM],
) -> None:
    def to_json(output: TaskOutput) -> tuple[bool, Any]:
        assert output.pydantic is None  # the echo is no JSON
        return True, json.dumps({"title": output.raw[:20], "points": len(output.raw.split())})

    def to_model(output: TaskOutput) -> tuple[bool, Any]:
        return True, Report(title="made", points=1)

    echo = llm_on("structured=0")
    as_text = await _crew(echo, output_pydantic=Report, guardrail=to_json).akickoff()
    as_model = await _crew(echo, output_pydantic=Report, guardrail=to_model).akickoff()

    assert as_text.pydantic is not None and as_text.pydantic.title == "Answer to: Current T"
    assert as_model.pydantic == Report(title="made", points=1)
    assert as_model.raw == '{"title":"made","points":1}'


@pytest.mark.asyncio
async def test_a_guardrail_must_return_a_pair(llm_on: Callable[..., LLM]) -> None:
    with pytest.raises(TaskExecutionError, match=r"must return a tuple \(bool, value\)"):
        await _crew(llm_on(), guardrail=lambda output: True).akickoff()


@pytest.mark.asyncio
async def test_output_file_gets_the_raw_answer(tmp_path: Path, llm_on: Callable[..., LLM]) -> None:
    target = str(tmp_path / "out" / "{topic}.md")
    crew = _crew(llm_on(), output_file=target)
    crew.tasks[0].description = "Report on {topic}"
    result = await crew.akickoff({"topic": "tides"})

    written = tmp_path / "out" / "tides.md"
    assert written.read_text(encoding="utf-8") == result.raw
    assert [path.name for path in written.parent.iterdir()] == ["tides.md"]
    assert written.stat().st_mode & 0o777 == 0o644
    written.chmod(0o600)
    await crew.akickoff({"topic": "tides"})  # replaced, keeping its mode
    assert written.stat().st_mode & 0o777 == 0o600


@pytest.mark.asyncio
async def test_callbacks_and_kickoff_hooks_run_in_order(llm_on: Callable[..., LLM]) -> None:
    calls: list[str] = []

    def task_done(output: TaskOutput) -> None:
        calls.append(f"task.callback {output.name}")

    async def crew_task_done(output: TaskOutput) -> None:
        calls.append(f"crew.task_callback {output.name}")

    async def before(inputs: dict[str, Any]) -> dict[str, Any]:
        calls.append(f"before {inputs}")
        return {**inputs, "topic": "winds"}

    def after(output: CrewOutput) -> CrewOutput:
        calls.append("after")
        return output.model_copy(update={"raw": output.raw.upper()})

    agent = Agent(role="Analyst", goal="Report", backstory="Exact.", llm=llm_on())
    tasks = [Task(description=f"Step {n} on {{topic}}", expected_output="x", agent=agent,
                  name=f"s{n}", callback=task_done) for n in (1, 2)]
    crew = Crew(agents=[agent], tasks=tasks, task_callback=crew_task_done,
                before_kickoff_callbacks=[before], after_kickoff_callbacks=[after])
    result = await crew.akickoff({"topic": "tides"})

    assert calls == [
        "before {'topic': 'tides'}",
        "task.callback s1", "crew.task_callback s1",
        "task.callback s2", "crew.task_callback s2",
        "after",
    ]
    assert result.raw.startswith("ANSWER TO: CURRENT TASK: STEP 2 ON WINDS.")


@pytest.mark.asyncio
async def test_a_text_guardrail_is_checked_by_the_model_and_no_verdict_refuses(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    with pytest.raises(TaskExecutionError, match="Task failed guardrail validation after 1 "
                       "retries. Last error: the check of the requirement gave no verdict: "
                       "Answer to: Requirement: Mention the moon"):
        await _crew(llm_on(), guardrail="Mention the moon", guardrail_max_retries=1).akickoff()

    # answer, check, answer again, check again
    assert len(sim.stats.requests) == 4
    check = sim.stats.requests[1].body["messages"]
    assert check[0]["content"].startswith("You check whether an answer meets a requirement.")
    assert check[1]["content"].startswith("Requirement: Mention the moon\n\nAnswer:\nAnswer to:")


@pytest.mark.asyncio
async def test_a_text_guardrail_passes_on_a_valid_verdict(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    # The simulator echoes the requirement's line, so this one carries its own verdict.
    verdict = '{"valid": true, "feedback": ""}'
    result = await _crew(llm_on(), guardrail=verdict).akickoff()
    assert len(sim.stats.requests) == 2
    assert result.raw.startswith("Answer to: Current Task: Report on tides.")
    assert result.token_usage.successful_requests == 2
