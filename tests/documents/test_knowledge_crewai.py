"""Memory, the embedder and knowledge sources in CrewAI projects: import, export, round trips."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from desktop_app.documents import (
    CrewFileError,
    CrewSettings,
    KnowledgeNotCopiedWarning,
    KnowledgeSourceSpec,
    export_crewai_project,
    import_crewai_project,
)
from tests.documents.projects import (
    CLASSIC_CREW_PY,
    JSONC_ANALYST,
    JSONC_CREW,
    JSONC_RESEARCHER,
    WriteTree,
    classic_project,
    jsonc_project,
)
from tests.documents.test_crewai_export import made_in_crewdesk
from tests.documents.test_crewai_import import notices_by_field

KNOWLEDGE_CREW_PY = (
    CLASSIC_CREW_PY.replace(
        "from crewai_tools import SerperDevTool\n",
        "from crewai_tools import SerperDevTool\n"
        "from crewai.knowledge.source.string_knowledge_source import StringKnowledgeSource\n\n"
        "policy = StringKnowledgeSource(content='Refunds within 30 days.', chunk_size=500,\n"
        "                               metadata={'topic': 'refunds'})\n",
    )
    .replace(
        "            config=self.agents_config['researcher'], # type: ignore[index]\n",
        "            config=self.agents_config['researcher'], # type: ignore[index]\n"
        "            knowledge_sources=[TextFileKnowledgeSource(\n"
        "                file_paths=['notes.txt', 'guide.md'], chunk_overlap=20)],\n",
    )
    .replace(
        "            step_callback=self.log_step,\n",
        "            step_callback=self.log_step,\n            knowledge_sources=self.sources(),\n",
    )
    .replace(
        '        """Creates the ResearchCrew crew"""\n',
        '        """Creates the ResearchCrew crew"""\n'
        "        handbook = CrewDoclingSource(file_paths=['handbook.md'])\n",
    )
    .replace(
        "            memory=True,\n",
        "            memory=True,\n"
        "            embedder={'provider': 'openai', 'config': {\n"
        "                'model': 'text-embedding-3-small', 'api_key': 'sk-secret'}},\n"
        "            knowledge_sources=[policy, handbook,\n"
        "                               ExcelKnowledgeSource(file_paths=['t.xlsx'])],\n",
    )
)
assert KNOWLEDGE_CREW_PY.count("knowledge_sources=") == 3


def source(kind: str, **fields: object) -> KnowledgeSourceSpec:
    return KnowledgeSourceSpec(kind=kind, **fields)  # type: ignore[arg-type]


def test_a_classic_crew_py_gives_memory_the_embedder_and_knowledge(tree: WriteTree) -> None:
    files = classic_project()
    files["src/research_crew/crew.py"] = KNOWLEDGE_CREW_PY
    loaded = import_crewai_project(tree(files))
    settings = loaded.document.settings
    assert settings.memory is True
    assert settings.embedder == {
        "provider": "openai",
        "config": {"model": "text-embedding-3-small"},
    }
    assert settings.knowledge_sources == [
        source("string", content="Refunds within 30 days.", chunk_size=500),
        source("markdown", path="knowledge/handbook.md"),
    ]
    researcher, analyst = loaded.document.agents
    assert researcher.knowledge_sources == [
        source("text", path="knowledge/notes.txt", chunk_overlap=20),
        source("markdown", path="knowledge/guide.md", chunk_overlap=20),
    ]
    assert analyst.knowledge_sources == [] and "knowledge_sources" not in analyst.extra
    assert "sk-secret" not in loaded.document.model_dump_json()
    notices = notices_by_field(loaded.notices)
    assert notices[("crew.py", "embedder.api_key")] == (
        "a key in a project file is not imported; store it as a CrewDesk credential (crew)"
    )
    assert notices[("crew.py", "knowledge_sources.StringKnowledgeSource.metadata")] == (
        "not imported (crew)"
    )
    assert notices[("crew.py", "knowledge_sources.ExcelKnowledgeSource")] == (
        "not a knowledge source CrewDesk reads; not imported (crew)"
    )
    assert notices[("crew.py", "knowledge_sources")] == (
        "set by code in crew.py; not imported (reporting_analyst)"
    )
    assert ("crew.py", "memory") not in notices


def test_an_embedder_without_a_model_is_reported_and_left_out(tree: WriteTree) -> None:
    files = classic_project()
    files["src/research_crew/crew.py"] = CLASSIC_CREW_PY.replace(
        "memory=True,", "memory=True, embedder={'provider': 'openai'},"
    )
    loaded = import_crewai_project(tree(files))
    assert loaded.document.settings.embedder is None
    assert notices_by_field(loaded.notices)[("crew.py", "embedder")] == (
        "names no model (config: {model: ...}); not imported (crew)"
    )


def test_a_jsonc_project_gives_memory_the_embedder_and_knowledge(tree: WriteTree) -> None:
    files = jsonc_project()
    files["crew.jsonc"] = JSONC_CREW.replace(
        '"memory": false,',
        (
            '"memory": true, "embedder": {"provider": "ollama", "config": {"model": "nomic"}},\n'
            '  "knowledge_sources": ["faq.txt", {"type": "string", "content": "Be kind."},\n'
            '    {"kind": "pdf", "path": "manual.pdf", "chunk_size": 900}],'
        ),
    )
    files["agents/researcher.jsonc"] = JSONC_RESEARCHER.replace(
        '"settings": {',
        (
            '"knowledge_sources": [{"type": "text_file", "file_paths": ["a.md", "b.csv"]}],\n'
            '  "settings": {'
        ),
    )
    files["agents/analyst.jsonc"] = JSONC_ANALYST.replace(
        '"tools": [],', ('"tools": [], "knowledge_sources": [42],')
    )
    loaded = import_crewai_project(tree(files))
    doc = loaded.document
    assert (doc.settings.memory, doc.settings.embedder) == (
        True,
        {"provider": "ollama", "config": {"model": "nomic"}},
    )
    assert doc.settings.knowledge_sources == [
        source("text", path="knowledge/faq.txt"),
        source("string", content="Be kind."),
        source("pdf", path="knowledge/manual.pdf", chunk_size=900),
    ]
    researcher, analyst = doc.agents
    assert researcher.knowledge_sources == [
        source("markdown", path="knowledge/a.md"),
        source("csv", path="knowledge/b.csv"),
    ]
    assert (analyst.knowledge_sources, analyst.extra["knowledge_sources"]) == ([], [42])
    assert doc.problems() == []
    assert notices_by_field(loaded.notices)[("analyst.jsonc", "knowledge_sources")] == (
        "not in a form CrewDesk reads (file names, or {kind, content or file_paths}); kept but "
        "not used by CrewDesk (analyst)"
    )


def knowing_crew(elsewhere: Path) -> tuple[CrewSettings, list[list[KnowledgeSourceSpec]]]:
    settings = CrewSettings(
        stream=False,
        memory=True,
        embedder={"provider": "openai", "config": {"model": "e"}},
        knowledge_sources=[
            source("string", content="It's 'quoted'\nand long.", chunk_size=300, chunk_overlap=30),
            source("markdown", path="knowledge/guides/setup.md"),
            source("pdf", path=str(elsewhere / "manual.pdf")),
        ],
    )
    agents = [
        [source("csv", path="data/prices.csv", chunk_size=800)],
        [source("json", path=str(elsewhere / "a" / "prices.csv"))],
    ]
    return settings, agents


def test_an_export_copies_the_knowledge_files_inside_and_imports_back_the_same(
    tmp_path: Path,
) -> None:
    crew_dir, elsewhere = tmp_path / "crew", tmp_path / "elsewhere"
    for path in (
        crew_dir / "knowledge/guides/setup.md",
        crew_dir / "data/prices.csv",
        elsewhere / "manual.pdf",
        elsewhere / "a/prices.csv",
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {path.name} in {path.parent.name}", encoding="utf-8")
    settings, agent_sources = knowing_crew(elsewhere)
    doc = made_in_crewdesk().model_copy(update={"settings": settings})
    for agent, sources in zip(doc.agents, agent_sources, strict=True):
        agent.knowledge_sources = sources
    doc.settings.allowed_paths = [str(elsewhere)]  # readable by the crew, but not shared
    with pytest.warns(KnowledgeNotCopiedWarning) as warned:
        package = export_crewai_project(doc, tmp_path / "out", base_dir=crew_dir)

    knowledge = tmp_path / "out" / "knowledge"
    assert sorted(str(p.relative_to(knowledge)) for p in knowledge.rglob("*") if p.is_file()) == [
        "guides/setup.md",
        "prices.csv",
    ]
    assert [str(w.message) for w in warned] == [
        f"settings.knowledge_sources[2]: the knowledge file {elsewhere / 'manual.pdf'} is "
        "outside the crew's folder, so it was not copied; copy it to knowledge/manual.pdf "
        "yourself if it may be shared",
        f"agents[1].knowledge_sources[0]: the knowledge file {elsewhere / 'a/prices.csv'} is "
        "outside the crew's folder, so it was not copied; copy it to knowledge/2_prices.csv "
        "yourself if it may be shared",
    ]
    readme = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert f"- `knowledge/2_prices.csv`: {elsewhere / 'a/prices.csv'}" in readme
    for name, file in (("manual.pdf", "manual.pdf"), ("2_prices.csv", "a/prices.csv")):
        (knowledge / name).write_bytes((elsewhere / file).read_bytes())  # as the README says
    crew_py = (package / "crew.py").read_text(encoding="utf-8")
    ast.parse(crew_py)
    assert (
        "from crewai.knowledge.source.string_knowledge_source import StringKnowledgeSource"
        in crew_py
    )
    assert "from crewai.knowledge.source.pdf_knowledge_source import PDFKnowledgeSource" in crew_py
    assert "TextFileKnowledgeSource(file_paths=['guides/setup.md'])," in crew_py
    assert "CSVKnowledgeSource(file_paths=['prices.csv'], chunk_size=800)," in crew_py
    assert "memory=True," in crew_py and "embedder={'provider': 'openai'" in crew_py

    again = import_crewai_project(tmp_path / "out").document
    moved = {
        str(elsewhere / "manual.pdf"): "knowledge/manual.pdf",
        "data/prices.csv": "knowledge/prices.csv",
        str(elsewhere / "a" / "prices.csv"): "knowledge/2_prices.csv",
    }
    expected = doc.model_copy(deep=True)
    expected.settings.allowed_paths = []  # never exported: a shared file cannot allow itself
    for spec in [
        *expected.settings.knowledge_sources,
        *(s for agent in expected.agents for s in agent.knowledge_sources),
    ]:
        if spec.path in moved:
            spec.path = moved[spec.path]
    assert again == expected
    export_crewai_project(again, tmp_path / "out", overwrite=True, base_dir=tmp_path / "out")
    assert import_crewai_project(tmp_path / "out").document == again  # a fixed point


def test_an_export_refuses_a_missing_knowledge_file(tmp_path: Path) -> None:
    doc = made_in_crewdesk()
    doc.settings.knowledge_sources = [source("text", path="knowledge/gone.txt")]
    with pytest.raises(CrewFileError) as caught:
        export_crewai_project(doc, tmp_path / "out", base_dir=tmp_path)
    assert [(p.field, p.message) for p in caught.value.problems] == [
        (
            "settings.knowledge_sources[0].path",
            f"the knowledge file 'knowledge/gone.txt' does not exist (looked for "
            f"{tmp_path / 'knowledge' / 'gone.txt'})",
        )
    ]
    assert not (tmp_path / "out").exists()
