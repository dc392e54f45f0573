"""CrewLibrary: the user's crews, the read-only examples, CrewAI import/export, recovery copies."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from desktop_app.documents.crewdesk_file import load_crew
from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.model import AgentSpec, CrewDocument, TaskSpec
from desktop_app.storage.crew_library import (
    CrewLibrary,
    ReadOnlyCrewError,
    bundled_examples_dir,
    new_draft_id,
    slugify,
)
from desktop_app.storage.paths import AppPaths


def _crew(name: str = "My Crew", role: str = "Analyst") -> CrewDocument:
    return CrewDocument(
        name=name,
        agents=[AgentSpec(key="analyst", role=role, goal="Study {topic}", backstory="Careful.")],
        tasks=[TaskSpec(key="study", description="Study {topic}.", expected_output="Notes.",
                        agent="analyst")],
    )


@pytest.fixture
def library(app_paths: AppPaths) -> CrewLibrary:
    return CrewLibrary(app_paths)


def test_the_bundled_examples_are_found_beside_the_package() -> None:
    folder = bundled_examples_dir()
    assert folder.is_dir()
    assert list(folder.glob("*.crew.yaml"))


def test_examples_are_listed_after_the_users_crews_and_load(library: CrewLibrary) -> None:
    crew_id = library.save(_crew("Zebra crew"))
    entries = library.list()
    assert entries[0].id == crew_id and not entries[0].is_example
    examples = [entry for entry in entries if entry.is_example]
    assert examples and all(entry.id.startswith("example:") for entry in examples)
    for entry in examples:
        assert library.load(entry.id).name == entry.name


def test_save_picks_an_id_from_the_name_and_never_overwrites(library: CrewLibrary) -> None:
    first = library.save(_crew("My Crew"))
    second = library.save(_crew("My Crew", role="Other"))
    assert (first, second) == ("my_crew", "my_crew_2")
    assert library.load(first).agents[0].role == "Analyst"
    assert library.load(second).agents[0].role == "Other"


def test_save_with_an_id_replaces_that_crew_atomically(library: CrewLibrary) -> None:
    crew_id = library.save(_crew())
    library.save(_crew(role="Changed"), crew_id)
    assert load_crew(library.path_of(crew_id)).agents[0].role == "Changed"
    assert not [p for p in library.crews_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_crew_with_problems_is_refused_and_leaves_no_file(library: CrewLibrary) -> None:
    broken = _crew()
    broken.tasks[0].agent = "nobody"
    with pytest.raises(CrewFileError, match="unknown agent"):
        library.save(broken)
    assert [entry for entry in library.list() if not entry.is_example] == []


def test_examples_are_read_only(library: CrewLibrary) -> None:
    example = next(entry for entry in library.list() if entry.is_example)
    with pytest.raises(ReadOnlyCrewError):
        library.save(library.load(example.id), example.id)
    with pytest.raises(ReadOnlyCrewError):
        library.delete(example.id)
    copy_id = library.save(library.load(example.id))
    assert not library.is_example(copy_id)


def test_delete_removes_the_file_and_its_recovery_copy(library: CrewLibrary) -> None:
    crew_id = library.save(_crew())
    library.save_recovery(crew_id, _crew(role="Unsaved"))
    library.delete(crew_id)
    assert not library.path_of(crew_id).exists()
    assert library.list_recovery() == []


@pytest.mark.parametrize("bad", ["../evil", "a/b", "", ".hidden", "example:../x"])
def test_ids_cannot_escape_the_folders(library: CrewLibrary, bad: str) -> None:
    with pytest.raises(ValueError):
        library.path_of(bad)


def test_recovery_copies_keep_documents_with_problems(library: CrewLibrary) -> None:
    draft = new_draft_id()
    unfinished = _crew(role="")
    unfinished.tasks[0].agent = None
    library.save_recovery(draft, unfinished)
    library.save_recovery("my_crew", _crew(role="Later"))
    entries = library.list_recovery()
    assert {entry.id for entry in entries} == {draft, "my_crew"}
    by_id = {entry.id: entry for entry in entries}
    assert by_id[draft].document == unfinished
    library.discard_recovery(draft)
    assert [entry.id for entry in library.list_recovery()] == ["my_crew"]


def test_an_unreadable_recovery_copy_is_skipped(library: CrewLibrary) -> None:
    library.save_recovery("good", _crew())
    (library.recovery_dir / "bad.recovery.json").write_text("{not json", encoding="utf-8")
    assert [entry.id for entry in library.list_recovery()] == ["good"]


def test_crewai_export_then_import_gives_the_same_crew(library: CrewLibrary, tmp_path: Path) -> None:
    doc = _crew("Exported crew")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "other.txt").write_text("not ours", encoding="utf-8")
    project = library.export_crewai(doc, tmp_path / "busy")
    assert project.parent == tmp_path / "busy"  # a non-empty folder gets a subfolder
    imported, notices = library.import_crewai(project)
    assert [a.role for a in imported.agents] == ["Analyst"]
    assert [t.key for t in imported.tasks] == ["study"]
    assert imported.placeholders() == ["topic"]
    assert isinstance(notices, list)


def test_async_wrappers_run_off_the_loop(library: CrewLibrary) -> None:
    async def scenario() -> list[str]:
        crew_id = await library.asave(_crew())
        await library.asave_recovery(crew_id, _crew(role="Unsaved"))
        assert (await library.aload(crew_id)).name == "My Crew"
        await library.adiscard_recovery(crew_id)
        assert await library.alist_recovery() == []
        return [entry.id for entry in await library.alist()]

    assert "my_crew" in asyncio.run(scenario())


def test_slugify() -> None:
    assert slugify("My Crew!") == "my_crew"
    assert slugify("***") == "crew"


def _knowing(path: str) -> CrewDocument:
    from desktop_app.documents import KnowledgeSourceSpec

    doc = _crew("Desk")
    doc.settings.knowledge_sources = [KnowledgeSourceSpec(kind="text", path=path)]
    return doc


def test_crews_read_from_elsewhere_keep_their_knowledge_files(
    library: CrewLibrary, tmp_path: Path
) -> None:
    from desktop_app.documents import save_crew

    outside = tmp_path / "outside"
    (outside / "knowledge").mkdir(parents=True)
    (outside / "knowledge" / "faq.txt").write_text("Open at nine.", encoding="utf-8")
    save_crew(_knowing("knowledge/faq.txt"), outside / "desk.crew.yaml")
    doc = library.read_file(outside / "desk.crew.yaml")
    assert doc.settings.knowledge_sources[0].path == str(outside / "knowledge" / "faq.txt")
    crew_id = library.save(doc)
    assert library.base_dir_of(crew_id) == library.crews_dir
    assert library.load(crew_id).file_problems(library.base_dir_of(crew_id)) == []
    assert library.base_dir_of("example:research_writer") == library.examples_dir
    assert library.base_dir_of(None) is None and library.base_dir_of("draft:abc") is None
    # Exported, the file goes into the project's knowledge/ folder; imported back from
    # there, the crew names the project's copy.
    project = library.export_crewai(doc, tmp_path / "project")
    assert (project / "knowledge" / "faq.txt").read_text(encoding="utf-8") == "Open at nine."
    again, _notices = library.import_crewai(project)
    assert again.settings.knowledge_sources[0].path == str(project / "knowledge" / "faq.txt")


def test_an_export_of_a_saved_crew_finds_its_files_from_its_folder(
    library: CrewLibrary, tmp_path: Path
) -> None:
    crew_id = library.save(_knowing("notes.txt"))
    with pytest.raises(CrewFileError, match="the knowledge file 'notes.txt' does not exist"):
        library.export_crewai(library.load(crew_id), tmp_path / "a",
                              library.base_dir_of(crew_id))
    (library.crews_dir / "notes.txt").write_text("n", encoding="utf-8")
    project = library.export_crewai(library.load(crew_id), tmp_path / "b",
                                    library.base_dir_of(crew_id))
    assert (project / "knowledge" / "notes.txt").read_text(encoding="utf-8") == "n"
