"""`Crew(memory=True)`: short-term, long-term and entity memory, through the public API.

The simulator's model echoes the first line of the task prompt ("Answer to: Current Task:
..."), so what a task saved is known, and the next prompts show what memory recalled.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_app.engine import LLM, Crew, MemoryConfig, RunEventAdapter
from desktop_app.engine._fts import FtsStore
from desktop_app.engine._store_thread import open_store, open_store_count
from desktop_app.engine.events import MemoryRetrieved, MemorySaved, RunEvent, TaskFinished
from desktop_app.engine.memory import (
    StoreError,
    StoreInUseError,
    delete_store,
    list_stores,
    memory_path_of,
    reset_store,
    search_store,
    store_items,
    store_name_of,
)
from desktop_app.simulator import Simulator, SimulatorThread
from tests.engine.conftest import make_llm
from tests.engine.memory_helpers import chat_prompts, one_agent_crew

HISTORY = "Historical data from earlier runs:"
RECENT = "Recent insights from this run:"
ENTITIES = "Entities:"


def _counts(crew: Crew) -> dict[str, int]:
    found = {info.name: info.counts for info in list_stores()}
    return found.get(store_name_of(crew), {})


@pytest.mark.asyncio
async def test_what_one_run_learned_is_in_the_next_runs_prompt(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = one_agent_crew(
        llm_on("tokens=8"), "Research the tides of Brittany", memory=True, name="Tide crew"
    )
    first = await crew.akickoff()
    second = await crew.akickoff()

    before, after = chat_prompts(sim)
    assert HISTORY not in before
    assert HISTORY in after
    assert "Task: Research the tides of Brittany" in after
    assert f"Result: {first.raw.strip()}" in after
    assert second.raw.startswith("Answer to: Current Task: Research the tides of Brittany.")
    home = Path(os.environ["CREWDESK_HOME"])
    assert memory_path_of(crew).parent == home / "data" / "memory"
    assert memory_path_of(crew).is_file()
    assert open_store_count() == 0


@pytest.mark.asyncio
async def test_short_term_memory_serves_later_tasks_of_the_same_run_only(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = one_agent_crew(
        llm_on("tokens=6"),
        "Measure the tides at Brest",
        "Summarise the tides measured",
        memory=True,
        name="Short",
    )
    result = await crew.akickoff()

    first, second = chat_prompts(sim)
    assert RECENT not in first
    assert RECENT in second
    recent = second.split(RECENT, 1)[1].split(HISTORY, 1)[0]
    assert result.tasks_output[0].raw.strip() in recent
    assert _counts(crew).get("short_term", 0) == 0  # forgotten when the run ended
    assert _counts(crew)["long_term"] == 2

    sim.stats.reset()
    await crew.akickoff()
    assert RECENT not in chat_prompts(sim)[0]  # the last run's short-term items are gone


@pytest.mark.asyncio
async def test_entities_named_in_outputs_are_recalled_for_related_tasks(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    llm = llm_on("tokens=6")
    await one_agent_crew(
        llm, "Research Marie Curie in Paris", memory=True, name="People"
    ).akickoff()
    sim.stats.reset()
    crew = one_agent_crew(llm, "Write a note on Curie", memory=True, name="People")
    await crew.akickoff()

    prompt = chat_prompts(sim)[0]
    entities = prompt.split(ENTITIES, 1)[1]
    assert "- Marie Curie: Answer to: Current Task: Research Marie Curie in Paris." in entities
    found = search_store(store_name_of(crew), "Paris", item_kind="entity")
    assert found[0].metadata["name"] == "Paris"  # named twice in its own item
    assert {item.scope for item in store_items(store_name_of(crew), item_kind="entity")} == {
        "marie curie",
        "paris",
        "curie",
    }


@pytest.mark.asyncio
async def test_memory_events_are_emitted_around_each_task(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = one_agent_crew(
        llm_on("tokens=4"), "Chart the tides", "Explain the tides", memory=True, name="Events"
    )
    events = [event async for event in crew.stream_events()]
    kinds = [event.kind for event in events]
    saved = [event for event in events if isinstance(event, MemorySaved)]

    assert kinds.count("memory_saved") == 2
    assert kinds.index("memory_saved") < kinds.index("task_finished")
    recalled = [event for event in events if isinstance(event, MemoryRetrieved)]
    assert {event.task_index for event in recalled} == {1}  # nothing to recall at first
    short = [event for event in recalled if event.memory == "short_term"]
    assert [event.items for event in short] == [[events_output(events, 0)]]
    assert saved[0].counts["short_term"] == 1 and saved[0].counts["long_term"] == 1
    for event in [*recalled, *saved]:  # run history stores events as JSON and reads them back
        assert RunEventAdapter.validate_json(RunEventAdapter.dump_json(event)) == event


@pytest.mark.asyncio
async def test_reset_and_delete_a_crews_store(sim: Simulator, llm_on: Callable[..., LLM]) -> None:
    crew = one_agent_crew(
        llm_on("tokens=4"), "Compare Lisbon and Porto", memory=True, name="Travel"
    )
    await crew.akickoff()
    name = store_name_of(crew)
    assert _counts(crew) == {"long_term": 1, "entity": 2}

    await asyncio.to_thread(crew.reset_memories, "long")
    assert _counts(crew) == {"entity": 2}
    await asyncio.to_thread(crew.reset_memories, "kickoff_outputs")  # CrewAI's; nothing here
    assert _counts(crew) == {"entity": 2}
    assert await asyncio.to_thread(reset_store, name) == 2
    assert _counts(crew) == {}

    async with open_store(memory_path_of(crew)):
        with pytest.raises(StoreInUseError):
            delete_store(name)
    assert delete_store(name) is True
    assert not memory_path_of(crew).exists()
    assert [info.name for info in list_stores()] == []
    with pytest.raises(ValueError, match="unknown memory type"):
        crew.reset_memories("everything")


@pytest.mark.asyncio
async def test_memory_lives_where_the_crew_says_and_each_crew_has_its_own(
    sim: Simulator, llm_on: Callable[..., LLM], tmp_path: Path
) -> None:
    llm = llm_on("tokens=4")
    config = MemoryConfig(storage_dir=tmp_path / "elsewhere")
    mine = one_agent_crew(llm, "Study tides", memory=True, name="Mine", memory_config=config)
    other = one_agent_crew(llm, "Study tides", memory=True, name="Other")
    await mine.akickoff()
    await other.akickoff()
    sim.stats.reset()
    await other.akickoff()

    assert memory_path_of(mine).parent == tmp_path / "elsewhere" / "memory"
    assert [info.name for info in list_stores(storage_dir=tmp_path / "elsewhere")] == [
        store_name_of(mine)
    ]
    history = chat_prompts(sim)[0].split(HISTORY, 1)[1]
    assert history.count("- Task: Study tides") == 1  # its own item only, saved once


@pytest.mark.asyncio
async def test_kickoff_async_saves_and_recalls_through_its_own_thread(
    sim: Simulator, llm_on: Callable[..., LLM], sqlite_threads: set[int]
) -> None:
    crew = one_agent_crew(llm_on("tokens=4"), "Research tides", memory=True, name="Threaded")
    await crew.kickoff_async()
    await crew.kickoff_async()

    assert HISTORY in chat_prompts(sim)[1]
    assert sqlite_threads
    assert threading.get_ident() not in sqlite_threads


def test_blocking_kickoff_saves_and_recalls(sim_thread: SimulatorThread) -> None:
    crew = one_agent_crew(
        make_llm(sim_thread.base_url, "tokens=4"),
        "Research tides",
        "Report on tides",
        memory=True,
        name="Blocking",
    )
    crew.kickoff()
    crew.kickoff()

    prompts = chat_prompts(sim_thread)
    assert RECENT in prompts[1] and HISTORY not in prompts[1]
    assert HISTORY in prompts[2]
    assert open_store_count() == 0


@pytest.mark.asyncio
async def test_akickoff_never_runs_sqlite_on_the_loop_thread(
    sim: Simulator, llm_on: Callable[..., LLM], sqlite_threads: set[int]
) -> None:
    crew = one_agent_crew(
        llm_on("tokens=4"), "Research Nantes", "Describe Nantes", memory=True, name="Loop"
    )
    await asyncio.gather(crew.akickoff(), crew.akickoff())

    assert sqlite_threads  # the trace saw statements...
    assert threading.get_ident() not in sqlite_threads  # ...never on the loop's thread


@pytest.mark.asyncio
async def test_with_an_embedder_items_get_vectors_and_searches_embed_the_task(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    embedder = {
        "provider": "openai",
        "config": {"model": "sim", "api_base": sim.base_url, "api_key": "sk-test"},
    }
    crew = one_agent_crew(
        llm_on("tokens=4"), "Research the Loire", memory=True, name="Vectors", embedder=embedder
    )
    await crew.akickoff()
    await crew.akickoff()

    paths = [request.path for request in sim.stats.requests]
    # Per run: embed the query, chat, embed what is saved.
    assert paths == ["/v1/embeddings", "/v1/chat/completions", "/v1/embeddings"] * 2
    saved = sim.stats.requests[2].body["input"]
    assert saved[0].startswith("Answer to: Current Task: Research the Loire.")
    async with open_store(memory_path_of(crew)) as handle:
        models = await handle.call(_vector_models)
    assert models == {"openai/sim:"}
    assert HISTORY in chat_prompts(sim)[1]


def events_output(events: list[RunEvent], index: int) -> str:
    """The raw output of task `index`, from its `TaskFinished` event."""
    finished = [e for e in events if isinstance(e, TaskFinished) and e.task_index == index]
    return finished[0].output.raw.strip()


def _vector_models(store: FtsStore) -> set[str]:
    rows = store._conn.execute("SELECT DISTINCT vector_model FROM items").fetchall()
    return {str(row[0]) for row in rows}


def test_async_tasks_of_a_blocking_kickoff_use_memory_from_their_own_loops(
    sim_thread: SimulatorThread,
) -> None:
    llm = make_llm(sim_thread.base_url, "tokens=4")
    crew = one_agent_crew(llm, "Research Quimper", "Research Vannes", memory=True, name="Async")
    for task in crew.tasks:
        task.async_execution = True
    crew.kickoff()
    result = crew.kickoff()

    assert len(result.tasks_output) == 2
    assert all(HISTORY in prompt for prompt in chat_prompts(sim_thread)[2:])
    assert _counts(crew) == {"long_term": 2, "entity": 2}


@pytest.mark.asyncio
async def test_evaluate_asks_the_model_once_per_task_and_keeps_its_rating(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    # The simulator echoes the first line of the last user message: for the evaluation
    # request that is "Task: <description>", so a description holding the JSON asked for
    # comes back as the model's evaluation.
    verdict = {
        "quality": 8,
        "suggestions": ["cite the tide tables"],
        "entities": [{"name": "Brest harbour", "description": "A port in Brittany."}],
    }
    config = MemoryConfig(evaluate=True)
    crew = one_agent_crew(
        llm_on("tokens=4"),
        json.dumps(verdict),
        "Research Lorient",
        memory=True,
        name="Judged",
        memory_config=config,
    )
    result = await crew.akickoff()

    evaluations = [
        r.body["messages"]
        for r in sim.stats.requests
        if r.body["messages"][0]["content"].startswith("You evaluate the work")
    ]
    assert len(evaluations) == 2
    assert evaluations[1][1]["content"].startswith("Task: Research Lorient\n")
    assert result.token_usage.successful_requests == 4  # two tasks, two evaluations
    name = store_name_of(crew)
    judged = store_items(name, item_kind="long_term")
    assert {item.metadata["quality"] for item in judged} == {8.0, None}  # the echo is no JSON
    rated = next(item for item in judged if item.metadata["quality"] == 8.0)
    assert rated.text.endswith("\nQuality: 8/10\nSuggestion: cite the tide tables")
    entities = {item.text for item in store_items(name, item_kind="entity")}
    assert "Brest harbour: A port in Brittany." in entities  # from the evaluation
    assert any(text.startswith("Lorient: ") for text in entities)  # heuristic fallback


@pytest.mark.asyncio
async def test_a_damaged_store_fails_the_run_with_its_path_and_can_be_deleted(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = one_agent_crew(llm_on(), "Research tides", memory=True, name="Damaged")
    path = memory_path_of(crew)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)

    with pytest.raises(StoreError, match="cannot open the store .*damaged-.*sqlite3"):
        await crew.akickoff()
    assert chat_prompts(sim) == []  # no task started
    assert delete_store(store_name_of(crew)) is True
    await crew.akickoff()
    assert _counts(crew) == {"long_term": 1}
