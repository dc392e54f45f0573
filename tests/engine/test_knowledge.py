"""Knowledge sources: each kind, chunking, indexing once, re-indexing, retrieval into prompts."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_app.engine import (
    LLM,
    Agent,
    BaseKnowledgeSource,
    Crew,
    CSVKnowledgeSource,
    JSONKnowledgeSource,
    KnowledgeConfig,
    MarkdownKnowledgeSource,
    PDFKnowledgeSource,
    StringKnowledgeSource,
    Task,
    TextFileKnowledgeSource,
)
from desktop_app.engine._fts import FtsStore
from desktop_app.engine._store_thread import open_store
from desktop_app.engine.knowledge import chunk_text
from desktop_app.engine.memory import knowledge_path_of, list_stores
from desktop_app.simulator import Simulator, SimulatorThread
from tests.engine.conftest import make_llm
from tests.engine.memory_helpers import chat_prompts, one_agent_crew

SECTION = "# Additional information from knowledge sources:"
QUESTION = "Who is the harbour master of Saint-Malo?"
OTHER = "Bananas ripen faster in a warm kitchen."
FACT = "Saint-Malo's harbour master: Yvonne Le Goff."


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing `lines` in Helvetica (valid xref, so any reader opens it)."""
    shown = " ".join(f"({line}) Tj T*" for line in lines)
    content = f"BT /F1 12 Tf 14 TL 72 720 Td {shown} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        " /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out + trailer.encode()


def _string(_: Path) -> BaseKnowledgeSource:
    return StringKnowledgeSource(content=f"{OTHER}\n\n{FACT}", chunk_size=50, chunk_overlap=5)


def _text(folder: Path) -> BaseKnowledgeSource:
    path = folder / "ports.txt"
    path.write_text(f"{OTHER}\n\n{FACT}\n")
    return TextFileKnowledgeSource(file_paths=[path], chunk_size=50, chunk_overlap=5)


def _markdown(folder: Path) -> BaseKnowledgeSource:
    path = folder / "ports.md"
    path.write_text(
        f"# Kitchen\n{OTHER}\n\n# Ports\n## Saint-Malo\nThe harbour master is Yvonne Le Goff.\n"
    )
    return MarkdownKnowledgeSource(file_path=path)


def _csv(folder: Path) -> BaseKnowledgeSource:
    path = folder / "people.csv"
    path.write_text("job,name\nharbour master of Saint-Malo,Yvonne Le Goff\nbanana grower,Ana\n")
    return CSVKnowledgeSource(file_paths=[path], chunk_size=60, chunk_overlap=0)


def _json(folder: Path) -> BaseKnowledgeSource:
    path = folder / "ports.json"
    data = {"kitchen": OTHER, "ports": {"Saint-Malo": {"harbour master": "Yvonne Le Goff"}}}
    path.write_text(json.dumps(data))
    return JSONKnowledgeSource(file_paths=[path], chunk_size=60, chunk_overlap=0)


def _pdf(folder: Path) -> BaseKnowledgeSource:
    path = folder / "ports.pdf"
    path.write_bytes(tiny_pdf([OTHER, FACT]))
    return PDFKnowledgeSource(file_paths=[path], chunk_size=50, chunk_overlap=5)


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [_string, _text, _markdown, _csv, _json, _pdf])
async def test_each_source_kind_puts_the_relevant_chunk_into_the_prompt(
    sim: Simulator,
    llm_on: Callable[..., LLM],
    tmp_path: Path,
    make: Callable[[Path], BaseKnowledgeSource],
) -> None:
    crew = one_agent_crew(llm_on("tokens=4"), QUESTION, knowledge_sources=[make(tmp_path)])
    await crew.akickoff()

    prompt = chat_prompts(sim)[0]
    assert SECTION in prompt
    knowledge = prompt.split(SECTION, 1)[1]
    assert "Yvonne Le Goff" in knowledge
    assert "Bananas" not in knowledge and "banana" not in knowledge
    assert [info.counts.get("knowledge", 0) >= 2 for info in list_stores("knowledge")] == [True]


def test_chunks_overlap_by_the_set_amount_and_cover_the_text(tmp_path: Path) -> None:
    text = " ".join(f"word{n}" for n in range(200))
    path = tmp_path / "long.txt"
    path.write_text(text)
    source = TextFileKnowledgeSource(file_paths=[path], chunk_size=50, chunk_overlap=12)
    chunks = source.units()[0].load()

    assert len(chunks) > 5
    assert all(len(chunk) <= 50 for chunk in chunks)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before[-12:] == after[:12]
    assert chunks[0] + "".join(chunk[12:] for chunk in chunks[1:]) == text
    assert chunk_text("abcdefghij", 4, 1) == ["abcd", "defg", "ghij"]
    with pytest.raises(ValueError, match="chunk_overlap"):
        StringKnowledgeSource(content="x", chunk_size=20, chunk_overlap=20)


@pytest.mark.asyncio
async def test_a_file_is_indexed_once_and_again_only_when_its_content_changes(
    sim: Simulator, llm_on: Callable[..., LLM], tmp_path: Path
) -> None:
    path = tmp_path / "ports.txt"
    path.write_text("The harbour master of Saint-Malo is Yvonne Le Goff.")
    source = TextFileKnowledgeSource(file_paths=[path])
    crew = one_agent_crew(llm_on("tokens=4"), QUESTION, knowledge_sources=[source], name="Ports")

    await crew.akickoff()
    first = await _indexed(crew)
    await crew.akickoff()
    assert await _indexed(crew) == first  # unchanged: not indexed again

    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    await crew.akickoff()
    touched = await _indexed(crew)
    assert touched[1] == first[1] and touched[0] != first[0]  # new stamp, same index

    path.write_text("The harbour master of Saint-Malo is Jean Morvan now.")
    await crew.akickoff()
    assert (await _indexed(crew))[1] != first[1]
    last = chat_prompts(sim)[-1].split(SECTION, 1)[1]
    assert "Jean Morvan" in last and "Yvonne" not in last

    await asyncio.to_thread(crew.reset_memories, "knowledge")
    assert [info.counts for info in list_stores("knowledge")] == [{}]
    await crew.akickoff()  # indexed afresh
    assert "Jean Morvan" in chat_prompts(sim)[-1].split(SECTION, 1)[1]


async def _indexed(crew: Crew) -> tuple[str, float]:
    """The (stamp, indexed_at) of the crew's only knowledge unit."""
    async with open_store(knowledge_path_of(crew)) as handle:
        rows = await handle.call(_source_rows)
    assert len(rows) == 1
    return rows[0]


def _source_rows(store: FtsStore) -> list[tuple[str, float]]:
    rows = store._conn.execute("SELECT stamp, indexed_at FROM sources").fetchall()
    return [(str(stamp), float(at)) for stamp, at in rows]


@pytest.mark.asyncio
async def test_agents_see_their_own_sources_and_the_crews(
    sim: Simulator, llm_on: Callable[..., LLM], sqlite_threads: set[int]
) -> None:
    llm = llm_on("tokens=4")

    def source(text: str) -> StringKnowledgeSource:
        return StringKnowledgeSource(content=text)

    alpha = Agent(
        role="Alpha",
        goal="g",
        backstory="b",
        llm=llm,
        knowledge_sources=[source("Alpha knows the tides of Brest.")],
    )
    beta = Agent(
        role="Beta",
        goal="g",
        backstory="b",
        llm=llm,
        knowledge_sources=[source("Beta knows the tides of Nantes.")],
        knowledge_config=KnowledgeConfig(results_limit=1),
    )
    tasks = [
        Task(description="Tell about the tides", expected_output="x", agent=agent)
        for agent in (alpha, beta)
    ]
    crew = Crew(
        agents=[alpha, beta],
        tasks=tasks,
        knowledge_sources=[source("Everyone knows the tides turn.")],
    )
    await crew.akickoff()

    alpha_prompt, beta_prompt = (p.split(SECTION, 1)[1] for p in chat_prompts(sim))
    assert "Alpha knows" in alpha_prompt and "Everyone knows" in alpha_prompt
    assert "Beta knows" not in alpha_prompt
    assert "Alpha knows" not in beta_prompt
    assert beta_prompt.count("\n- (string)") == 1  # its results_limit
    assert sqlite_threads and threading.get_ident() not in sqlite_threads  # never on the loop


def test_blocking_kickoff_retrieves_knowledge(sim_thread: SimulatorThread) -> None:
    crew = one_agent_crew(
        make_llm(sim_thread.base_url, "tokens=4"), QUESTION, knowledge_sources=[_string(Path())]
    )
    crew.kickoff()

    assert "Yvonne Le Goff" in chat_prompts(sim_thread)[0].split(SECTION, 1)[1]


@pytest.mark.asyncio
async def test_with_an_embedder_chunks_are_embedded_once_and_found_without_a_shared_word(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    embedder = {
        "provider": "openai",
        "config": {"model": "sim", "api_base": sim.base_url, "api_key": "sk-test"},
    }
    source = StringKnowledgeSource(content="Yvonne Le Goff runs the port.")
    unrelated = "Describe everything"  # shares no word with the chunk
    plain = one_agent_crew(llm_on("tokens=4"), unrelated, knowledge_sources=[source])
    await plain.akickoff()
    semantic = one_agent_crew(
        llm_on("tokens=4"), unrelated, knowledge_sources=[source], embedder=embedder
    )
    await semantic.akickoff()
    await semantic.akickoff()

    plain_prompt, first, second = chat_prompts(sim)
    assert SECTION not in plain_prompt  # full text alone finds nothing
    assert "Yvonne Le Goff runs the port." in first.split(SECTION, 1)[1]
    assert "Yvonne Le Goff runs the port." in second.split(SECTION, 1)[1]
    inputs = [r.body["input"] for r in sim.stats.requests if r.path == "/v1/embeddings"]
    assert inputs.count(["Yvonne Le Goff runs the port."]) == 1  # indexed once
    assert inputs.count([unrelated]) == 2  # the query, each run


@pytest.mark.asyncio
async def test_a_missing_file_fails_the_run_before_any_task_and_names_the_file(
    sim: Simulator, llm_on: Callable[..., LLM], tmp_path: Path
) -> None:
    missing = tmp_path / "gone.md"
    crew = one_agent_crew(
        llm_on(), QUESTION, knowledge_sources=[MarkdownKnowledgeSource(file_paths=[missing])]
    )
    with pytest.raises(FileNotFoundError, match="MarkdownKnowledgeSource: the file .*gone.md"):
        await crew.akickoff()
    assert chat_prompts(sim) == []
