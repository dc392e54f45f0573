"""Memory, the embedder and knowledge sources in crew documents: fields, checks, files, runs."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import ValidationError

from desktop_app.documents import (
    AgentSpec,
    CrewDocument,
    CrewFileError,
    CrewSettings,
    KnowledgeSourceSpec,
    TaskSpec,
    build_crew,
    dumps_crew,
    load_crew,
    open_crew_file,
    override_llm,
    rebase_knowledge,
    save_crew,
)
from desktop_app.documents.build import EMBEDDER_KEY
from desktop_app.engine import knowledge as engine_knowledge
from desktop_app.engine.memory import list_stores
from desktop_app.simulator import Simulator, SimulatorConfig

POLICY = "Refunds are accepted within 30 days when the parcel is unopened."


def string(content: str = POLICY, **fields: object) -> KnowledgeSourceSpec:
    return KnowledgeSourceSpec(kind="string", content=content, **fields)  # type: ignore[arg-type]


def file(path: str, kind: str = "text", **fields: object) -> KnowledgeSourceSpec:
    return KnowledgeSourceSpec(kind=kind, path=path, **fields)  # type: ignore[arg-type]


def support_crew(**settings: object) -> CrewDocument:
    return CrewDocument(
        name="Support desk",
        settings=CrewSettings(stream=False, **settings),  # type: ignore[arg-type]
        agents=[
            AgentSpec(
                key="clerk",
                role="Clerk",
                goal="Answer",
                backstory="Kind.",
                knowledge_sources=[file("knowledge/faq.md", "markdown")],
            )
        ],
        tasks=[
            TaskSpec(
                key="answer",
                description="Answer the question about refunds",
                expected_output="An answer",
                agent="clerk",
            )
        ],
    )


def write(folder: Path, relative: str, text: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def messages(doc: CrewDocument) -> list[str]:
    return [str(issue) for issue in doc.problems()]


# -- the model --------------------------------------------------------------------------


def test_a_source_is_a_text_or_a_file_of_its_kind() -> None:
    assert string().label() == POLICY[:59] + "…"
    assert string("short").label() == "short"
    assert file("docs/guide.md", "markdown").label() == "guide.md"
    with pytest.raises(ValidationError, match="a string source has content and no path"):
        KnowledgeSourceSpec(kind="string", path="a.txt")
    with pytest.raises(ValidationError, match="a pdf source has a path and no content"):
        KnowledgeSourceSpec(kind="pdf", content="text")
    with pytest.raises(ValidationError, match="a csv source needs a file path"):
        KnowledgeSourceSpec(kind="csv", path="  ")
    with pytest.raises(ValidationError, match="chunk_overlap must be smaller than chunk_size"):
        string(chunk_size=100, chunk_overlap=100)
    with pytest.raises(ValidationError, match="kind"):
        KnowledgeSourceSpec.model_validate({"kind": "docx", "path": "a.docx"})


def test_memory_embedder_and_knowledge_kept_as_extras_become_fields() -> None:
    embedder = {"provider": "openai", "config": {"model": "text-embedding-3-small"}}
    settings = CrewSettings.model_validate(
        {
            "extra": {
                "memory": True,
                "embedder": embedder,
                "planning": True,
                "knowledge_sources": [{"kind": "string", "content": "a fact"}],
            }
        }
    )
    assert (settings.memory, settings.embedder, settings.extra) == (
        True,
        embedder,
        {"planning": True},
    )
    assert settings.knowledge_sources == [string("a fact")]
    agent = AgentSpec.model_validate(
        {
            "key": "a",
            "role": "r",
            "goal": "g",
            "backstory": "b",
            "extra": {"knowledge_sources": [{"kind": "text", "path": "notes.txt"}]},
        }
    )
    assert (agent.knowledge_sources, agent.extra) == ([file("notes.txt")], {})


def test_knowledge_in_a_form_crewdesk_cannot_read_stays_an_extra_until_the_field_is_set() -> None:
    kept = CrewSettings.model_validate({"extra": {"knowledge_sources": ["string_source"]}})
    assert (kept.knowledge_sources, kept.extra) == ([], {"knowledge_sources": ["string_source"]})
    doc = support_crew().model_copy(update={"settings": kept})
    assert messages(doc) == []
    clash = kept.model_copy(update={"knowledge_sources": [string()], "memory": True})
    clash.extra = {**clash.extra, "memory": False}
    assert messages(support_crew().model_copy(update={"settings": clash})) == [
        "settings.extra.knowledge_sources: 'knowledge_sources' is a crew field; set it there",
        "settings.extra.memory: 'memory' is a crew field; set it there",
    ]


def test_an_embedder_names_its_model_and_never_holds_a_key() -> None:
    assert messages(support_crew(embedder={"provider": "openai", "config": {}})) == [
        "settings.embedder: the embedder needs a model: {provider: openai, config: {model: ...}}"
    ]
    keyed = {"provider": "openai", "config": {"model": "m", "api_key": "sk-x"}}
    assert messages(support_crew(embedder=keyed)) == [
        "settings.embedder: 'api_key': a crew file never holds a key; remove it (the "
        "embedder's key is found as for an agent with its model)"
    ]
    assert messages(support_crew(embedder={"config": "m"})) == [
        "settings.embedder: the embedder's config must be a mapping ({'model': ...})"
    ]


# -- crew files -------------------------------------------------------------------------


def test_a_crew_with_memory_and_knowledge_round_trips_through_its_file(tmp_path: Path) -> None:
    doc = support_crew(
        memory=True,
        embedder={"provider": "ollama", "config": {"model": "nomic"}},
        knowledge_sources=[
            string(chunk_size=500, chunk_overlap=50),
            file("/data/prices.csv", "csv"),
        ],
    )
    save_crew(doc, tmp_path / "desk.crew.yaml")
    text = (tmp_path / "desk.crew.yaml").read_text(encoding="utf-8")
    assert "  memory: true\n  embedder:\n    provider: ollama\n" in text
    assert "  knowledge_sources:\n    - kind: string\n      content: Refunds are" in text
    assert "      chunk_size: 500\n      chunk_overlap: 50\n    - kind: csv\n" in text
    assert (
        "    knowledge_sources:\n      - kind: markdown\n        path: knowledge/faq.md\n" in text
    )
    assert load_crew(tmp_path / "desk.crew.yaml") == doc
    assert "memory" not in dumps_crew(support_crew())  # defaults are not written


def test_a_missing_knowledge_file_is_named_with_its_field_and_line(tmp_path: Path) -> None:
    doc = support_crew(knowledge_sources=[file("policy.txt")])
    save_crew(doc, tmp_path / "desk.crew.yaml")  # saving does not look for files
    loaded = open_crew_file(tmp_path / "desk.crew.yaml")
    assert loaded.base_dir == tmp_path
    with pytest.raises(CrewFileError) as caught:
        loaded.check_files()
    assert [str(problem) for problem in caught.value.problems] == [
        f"{tmp_path / 'desk.crew.yaml'}:10: settings.knowledge_sources[0].path: the knowledge "
        f"file 'policy.txt' does not exist (looked for {tmp_path / 'policy.txt'})",
        f"{tmp_path / 'desk.crew.yaml'}:18: agents[0].knowledge_sources[0].path: the knowledge "
        f"file 'knowledge/faq.md' does not exist (looked for {tmp_path / 'knowledge/faq.md'})",
    ]
    write(tmp_path, "policy.txt", POLICY)
    write(tmp_path, "knowledge/faq.md", "# Refunds\nWithin 30 days.\n")
    loaded.check_files()
    assert doc.file_problems(tmp_path) == []


def test_rebasing_makes_relative_paths_absolute(tmp_path: Path) -> None:
    doc = support_crew(knowledge_sources=[string(), file("/abs/a.txt"), file("b/c.json", "json")])
    moved = rebase_knowledge(doc, tmp_path)
    assert [s.path for s in moved.settings.knowledge_sources] == [
        None,
        "/abs/a.txt",
        str(tmp_path / "b" / "c.json"),
    ]
    assert moved.agents[0].knowledge_sources[0].path == str(tmp_path / "knowledge" / "faq.md")
    assert doc.agents[0].knowledge_sources[0].path == "knowledge/faq.md"


# -- building and running ---------------------------------------------------------------


def test_sources_memory_and_the_embedder_become_engine_objects(tmp_path: Path) -> None:
    for relative in ("knowledge/faq.md", "prices.csv", "data.json", "notes.txt", "doc.pdf"):
        write(tmp_path, relative, "x")
    embedder = {"provider": "openai", "config": {"model": "text-embedding-3-small"}}
    doc = support_crew(
        memory=True,
        embedder=embedder,
        knowledge_sources=[
            string(chunk_size=300),
            file("prices.csv", "csv"),
            file("data.json", "json"),
            file(str(tmp_path / "notes.txt")),
            file("doc.pdf", "pdf"),
        ],
    )
    asked: list[tuple[str, str | None]] = []

    def keys(spec: AgentSpec) -> str:
        asked.append((spec.key, spec.llm))
        return f"key-of-{spec.key}"

    crew = build_crew(doc, resolve_api_key=keys, base_dir=tmp_path, memory_dir=tmp_path / "d")
    assert crew.memory is True
    assert crew.memory_config is not None and crew.memory_config.storage_dir == tmp_path / "d"
    assert crew.embedder == {
        "provider": "openai",
        "config": {"model": "text-embedding-3-small", "api_key": f"key-of-{EMBEDDER_KEY}"},
    }
    assert (EMBEDDER_KEY, "openai/text-embedding-3-small") in asked
    assert doc.settings.embedder == embedder  # the document keeps no key
    kinds = [type(source) for source in crew.knowledge_sources]
    assert kinds == [
        engine_knowledge.StringKnowledgeSource,
        engine_knowledge.CSVKnowledgeSource,
        engine_knowledge.JSONKnowledgeSource,
        engine_knowledge.TextFileKnowledgeSource,
        engine_knowledge.PDFKnowledgeSource,
    ]
    assert crew.knowledge_sources[0].chunk_size == 300
    files = [
        s.file_paths[0]
        for s in crew.knowledge_sources[1:]
        if isinstance(s, engine_knowledge.BaseFileKnowledgeSource)
    ]
    assert files == [
        tmp_path / name for name in ("prices.csv", "data.json", "notes.txt", "doc.pdf")
    ]
    [source] = crew.agents[0].knowledge_sources
    assert isinstance(source, engine_knowledge.MarkdownKnowledgeSource)
    assert source.file_paths == [tmp_path / "knowledge" / "faq.md"]
    plain = build_crew(support_crew(), base_dir=tmp_path)
    assert (plain.memory, plain.embedder, plain.knowledge_sources, plain.memory_config) == (
        False,
        None,
        [],
        None,
    )


def test_building_refuses_a_missing_knowledge_file(tmp_path: Path) -> None:
    with pytest.raises(CrewFileError) as caught:
        build_crew(support_crew(), base_dir=tmp_path)
    assert [(p.field, p.message) for p in caught.value.problems] == [
        (
            "agents[0].knowledge_sources[0].path",
            f"the knowledge file 'knowledge/faq.md' does not exist (looked for "
            f"{tmp_path / 'knowledge' / 'faq.md'})",
        )
    ]


def test_pointing_a_crew_at_a_simulator_moves_its_embedder_there() -> None:
    embedder = {"provider": "ollama", "config": {"model": "ollama/nomic-embed", "x": 1}}
    moved = override_llm(
        support_crew(embedder=embedder), model="openai/sim", base_url="http://127.0.0.1:9/v1"
    )
    assert moved.settings.embedder == {
        "provider": "openai",
        "config": {"model": "nomic-embed", "x": 1, "api_base": "http://127.0.0.1:9/v1"},
    }
    assert override_llm(support_crew(embedder=embedder), model="m").settings.embedder == embedder
    simulated = override_llm(
        support_crew(embedder=embedder), base_url="http://127.0.0.1:9/v1", embedding_model="sim"
    )
    assert simulated.settings.embedder is not None
    assert simulated.settings.embedder["config"]["model"] == "sim"


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A fast simulator on the test's event loop."""
    async with Simulator(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as server:
        yield server


@pytest.mark.asyncio
async def test_a_crew_file_with_memory_and_knowledge_runs_with_them(
    sim: Simulator, tmp_path: Path
) -> None:
    write(
        tmp_path,
        "knowledge/faq.md",
        """
        # Shipping
        Parcels leave the warehouse in Utrecht every Tuesday.

        # Refunds
        A refund reaches the customer's card within five working days.
    """,
    )
    doc = support_crew(
        memory=True,
        knowledge_sources=[string()],
        embedder={"provider": "openai", "config": {"model": "emb"}},
    )
    save_crew(doc, tmp_path / "desk.crew.yaml")
    loaded = open_crew_file(tmp_path / "desk.crew.yaml")
    routed = override_llm(
        loaded.document, model="openai/sim", base_url=sim.base_url, embedding_model="sim"
    )
    crew = build_crew(
        routed,
        resolve_api_key=lambda spec: "sk-sim",
        base_dir=loaded.base_dir,
        memory_dir=tmp_path / "data",
    )
    await crew.akickoff()
    prompts = [
        request.body["messages"][-1]["content"]
        for request in sim.stats.requests
        if "messages" in request.body
    ]
    assert len(prompts) == 1
    assert POLICY in prompts[0]  # the crew's string source
    assert "five working days" in prompts[0]  # the agent's Markdown file, relative to the file
    assert any(request.path == "/v1/embeddings" for request in sim.stats.requests)
    [store] = list_stores("memory", tmp_path / "data")
    assert store.counts["long_term"] >= 1
    assert [s.name for s in list_stores("knowledge", tmp_path / "data")] == [store.name]
