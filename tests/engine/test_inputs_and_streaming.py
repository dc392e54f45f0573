"""Placeholders, context between tasks, and the streaming output's shape."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from desktop_app.engine import (
    LLM,
    Agent,
    Crew,
    MissingInputError,
    StreamChunkType,
    StreamNotFinishedError,
    Task,
)
from desktop_app.simulator import Simulator, SimulatorThread
from tests.engine.conftest import make_llm


def _two_task_crew(llm: LLM, *, stream: bool = False) -> Crew:
    researcher = Agent(role="Researcher of {topic}", goal="Find facts", backstory="Curious.", llm=llm)
    writer = Agent(role="Writer", goal="Write", backstory="Clear.", llm=llm)
    research = Task(description="Research {topic}", expected_output="facts", agent=researcher, name="research")
    write = Task(
        description='Write about {topic} as JSON like {"title": "..."}',
        expected_output="an article",
        agent=writer,
        name="write",
        context=[research],
    )
    return Crew(agents=[researcher, writer], tasks=[research, write], stream=stream)


@pytest.mark.asyncio
async def test_a_missing_input_names_the_placeholder_and_where_it_is(
    llm_on: Callable[..., LLM],
) -> None:
    crew = _two_task_crew(llm_on())
    with pytest.raises(MissingInputError) as caught:
        await crew.akickoff({"subject": "x"})
    assert caught.value.placeholder == "topic"
    assert "task 'research' description" in str(caught.value)


@pytest.mark.asyncio
async def test_json_braces_stay_and_context_reaches_the_next_task(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    result = await _two_task_crew(llm_on()).akickoff({"topic": "tides"})

    second_prompt = sim.stats.requests[1].body["messages"]
    user = second_prompt[1]["content"]
    assert 'Write about tides as JSON like {"title": "..."}' in user
    assert "This is the context you're working with:\n" + result.tasks_output[0].raw in user
    assert sim.stats.requests[0].body["messages"][0]["content"].startswith("You are Researcher of tides.")
    assert [t.name for t in result.tasks_output] == ["research", "write"]
    assert result.raw == result.tasks_output[1].raw


@pytest.mark.asyncio
async def test_inputs_of_any_json_type_and_odd_text_reach_the_model_unchanged(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    agent = Agent(role="A", goal="g", backstory="b", llm=llm_on())
    crew = Crew(tasks=[Task(description="Data: {data} Note: {note}", expected_output="x", agent=agent)])
    note = "naïve {braces} «ünïcode» 東京 \\n tab\t"
    await crew.akickoff({"data": {"ages": [1, 2], "ok": True}, "note": note})
    user = sim.stats.requests[0].body["messages"][1]["content"]
    assert 'Data: {"ages": [1, 2], "ok": true} Note: ' + note in user


@pytest.mark.asyncio
async def test_streaming_chunks_say_where_they_come_from(llm_on: Callable[..., LLM]) -> None:
    out = await _two_task_crew(llm_on(), stream=True).akickoff({"topic": "moss"})
    with pytest.raises(StreamNotFinishedError):
        _ = out.result

    chunks = [chunk async for chunk in out]

    assert {(c.task_index, c.task_name) for c in chunks} == {(0, "research"), (1, "write")}
    assert {c.agent_role for c in chunks if c.task_index == 0} == {"Researcher of moss"}
    assert all(c.chunk_type is StreamChunkType.TEXT for c in chunks)
    second = "".join(c.content for c in chunks if c.task_index == 1)
    assert second == out.result.raw
    assert out.is_completed


@pytest.mark.asyncio
async def test_tool_calls_stream_as_their_own_chunks(llm_on: Callable[..., LLM]) -> None:
    agent = Agent(role="Coder", goal="g", backstory="b", llm=llm_on(), allow_code_execution=True)
    crew = Crew(tasks=[Task(description="Mean of [2, 4, 9]", expected_output="x", agent=agent)], stream=True)
    out = await crew.kickoff_async()
    chunks = [chunk async for chunk in out]
    calls = [c for c in chunks if c.chunk_type is StreamChunkType.TOOL_CALL]
    assert len(calls) == 1 and calls[0].tool_call is not None
    assert calls[0].tool_call.tool_name == "code_interpreter"
    assert "values = [2, 4, 9]" in calls[0].tool_call.arguments
    assert out.result.raw.startswith("Result: 5.0")


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["akickoff_for_each", "kickoff_for_each_async"])
async def test_for_each_streams_every_chunk_once_with_results_in_order(
    llm_on: Callable[..., LLM], method: str
) -> None:
    agent = Agent(role="A", goal="g", backstory="b", llm=llm_on("tokens=15"))
    crew = Crew(tasks=[Task(description="Item {n}", expected_output="x", agent=agent)], stream=True)
    out = await getattr(crew, method)([{"n": i} for i in range(4)])
    chunks = [chunk async for chunk in out]

    assert [r.raw.split(".")[0] for r in out.results] == [
        f"Answer to: Current Task: Item {i}" for i in range(4)
    ]
    by_run: dict[str, str] = {}
    for chunk in chunks:
        by_run[chunk.run_id] = by_run.get(chunk.run_id, "") + chunk.content
    assert sorted(by_run.values()) == sorted(r.raw for r in out.results)


def test_sync_kickoff_streams_with_a_plain_for(sim_thread: SimulatorThread) -> None:
    agent = Agent(role="A", goal="g", backstory="b", llm=make_llm(sim_thread.base_url))
    crew = Crew(tasks=[Task(description="Say {word}", expected_output="x", agent=agent)], stream=True)
    out = crew.kickoff({"word": "hello"})
    text = "".join(chunk.content for chunk in out)
    assert text == out.result.raw
    assert text.startswith("Answer to: Current Task: Say hello")


def test_kickoff_and_kickoff_for_each_block_and_return_outputs(sim_thread: SimulatorThread) -> None:
    agent = Agent(role="A", goal="g", backstory="b", llm=make_llm(sim_thread.base_url))
    crew = Crew(tasks=[Task(description="Say {word}", expected_output="x", agent=agent)])
    assert crew.kickoff({"word": "one"}).raw.startswith("Answer to: Current Task: Say one")
    outs = crew.kickoff_for_each([{"word": "two"}, {"word": "three"}])
    assert [o.raw.split(".")[0][-5:] for o in outs] == ["y two", "three"]


@pytest.mark.asyncio
async def test_run_events_come_in_order_with_a_closing_event(llm_on: Callable[..., LLM]) -> None:
    crew = _two_task_crew(llm_on())
    stream = crew.stream_events({"topic": "ice"})
    kinds = [event.kind async for event in stream]
    assert kinds[0] == "run_started"
    assert kinds[-1] == "run_finished"
    assert kinds.count("task_started") == kinds.count("task_finished") == 2
    assert stream.value().raw


@pytest.mark.asyncio
async def test_a_failed_run_ends_its_event_stream_with_run_failed(llm_on: Callable[..., LLM]) -> None:
    stream = _two_task_crew(llm_on("status=401")).stream_events({"topic": "x"})
    events = []
    with pytest.raises(Exception, match="key for openai was refused"):
        async for event in stream:
            events.append(event)
    assert events[-1].kind == "run_failed"
    assert events[-1].task_index == 0  # type: ignore[union-attr]
    assert events[-1].agent_role == "Researcher of x"  # type: ignore[union-attr]
    await asyncio.sleep(0)
