"""``crewdesk run`` with a crew file whose agent uses the crew folder's own ``@tool`` function:
it runs (the CLI runs what it is told to, as for a project), and ``--static`` refuses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app.documents import AgentSpec, CrewDocument, TaskSpec, save_crew
from desktop_app.documents._project_tools import new_tool_file


def crew_file(folder: Path) -> tuple[Path, str]:
    _path, tool = new_tool_file(folder, "word_count")
    doc = CrewDocument(
        name="Counter",
        agents=[AgentSpec(key="a", role="Counter", goal="Count", backstory="Counts.",
                          tools=[tool])],
        tasks=[TaskSpec(key="t", description="Count the words of hello world",
                        expected_output="A count", agent="a")])
    path = folder / "counter.crew.yaml"
    save_crew(doc, path)
    return path, tool


def test_a_crew_files_own_tool_runs_from_the_cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path, _tool = crew_file(tmp_path)
    code = cli.main(["run", str(path), "--simulator", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "word_count received:" in captured.out


def test_static_refuses_a_crew_files_own_tool_by_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path, tool = crew_file(tmp_path)
    code = cli.main(["run", str(path), "--simulator", "--quiet", "--static"])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert tool in captured.err and "not trusted" in captured.err
