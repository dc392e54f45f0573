"""The designer canvas's node places (`CrewDocument.layout`): kept in the crew file, never
written into a CrewAI export."""

from __future__ import annotations

from pathlib import Path

from desktop_app.documents.crewai_export import export_crewai_project
from desktop_app.documents.crewdesk_file import dumps_crew, load_crew, save_crew
from desktop_app.documents.model import CrewDocument, TaskSpec
from desktop_app.ui.designer import _edits


def placed() -> CrewDocument:
    doc = _edits.new_document("Placed crew")
    doc.layout = {"agent:agent_1": (12.5, -40.0), "task:task_1": (600.0, 130.25)}
    return doc


def test_places_round_trip_through_the_crew_file(tmp_path: Path) -> None:
    path = tmp_path / "placed.crew.yaml"
    save_crew(placed(), path)
    loaded = load_crew(path)
    assert loaded.layout == {"agent:agent_1": (12.5, -40.0), "task:task_1": (600.0, 130.25)}
    assert loaded == placed()


def test_a_crew_without_places_writes_no_layout() -> None:
    assert "layout" not in dumps_crew(_edits.new_document())


def test_places_are_left_out_of_a_crewai_export(tmp_path: Path) -> None:
    doc = placed()
    doc.tasks.append(TaskSpec(key="task_2", description="More.", expected_output="Text.",
                              agent="agent_1"))
    doc.layout["task:task_2"] = (600.0, 260.0)
    export_crewai_project(doc, tmp_path / "out")
    written = [path for path in (tmp_path / "out").rglob("*") if path.is_file()]
    assert written
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "layout" not in text and "task:task_1" not in text and "130.25" not in text, path


def test_renaming_a_key_keeps_its_place() -> None:
    doc = _edits.set_value(placed(), ("tasks", 0, "key"), "research")
    assert doc.layout["task:research"] == (600.0, 130.25)
    assert "task:task_1" not in doc.layout
