"""The toolkit's file and code tools: CrewAI's names, schemas and constructor arguments."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_app.engine import LLM, Agent, Crew, Task, builtin_tools, code_execution
from desktop_app.engine.toolkit import (
    CodeInterpreterTool,
    DirectoryReadTool,
    FileReadTool,
    FileWriterTool,
)


def test_file_read_tool_has_crewai_face_and_reads_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("one\ntwo\nthree\n", encoding="utf-8")
    free = FileReadTool()
    assert isinstance(free, builtin_tools.FileReadTool)  # the engine's reader, renamed
    assert free.name == "Read a file's content"
    assert set(free.args_schema.model_fields) == {"file_path", "start_line", "line_count"}
    fixed = FileReadTool(file_path="notes.txt")
    assert "The default file is notes.txt" in fixed.description
    assert fixed.run() == "one\ntwo\nthree\n"
    assert fixed.run(file_path="notes.txt", start_line=2, line_count=1) == "two\n"
    with pytest.raises(ValueError, match="start line 9 is past the end"):
        fixed.run(start_line=9)
    with pytest.raises(ValueError, match="no file to read"):
        free.run()


def test_file_read_tool_keeps_the_model_inside_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    outside = tmp_path / "secret.txt"
    outside.write_text("named in code", encoding="utf-8")
    with pytest.raises(PermissionError, match="outside the folder"):
        FileReadTool().run(file_path=str(outside))
    declared = FileReadTool(file_path=str(outside))  # what the code names is allowed
    assert declared.run(file_path=str(outside)) == "named in code"
    assert FileReadTool(base_dir=str(tmp_path)).run(file_path="secret.txt") == "named in code"


def test_directory_read_tool_lists_files_as_crewai(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "a.md").write_text("a", encoding="utf-8")
    (tmp_path / "docs" / "sub" / "b.md").write_text("b", encoding="utf-8")
    fixed = DirectoryReadTool(directory="docs")
    assert fixed.name == "List files in directory"
    assert fixed.description == "A tool that can be used to list docs's content."
    assert fixed.args_schema.model_fields == {}
    assert fixed.run() == "File paths: \n- docs/a.md\n- docs/sub/b.md"
    with pytest.raises(PermissionError):
        DirectoryReadTool().run(directory="..")


def test_file_writer_tool_writes_inside_its_folder_and_asks_before_overwriting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    writer = FileWriterTool()
    assert writer.name == "File Writer Tool"
    assert writer.run(filename="out/report.md", content="# One") == (
        "Content successfully written to out/report.md"
    )
    assert "already exists" in writer.run(filename="out/report.md", content="# Two")
    writer.run(filename="report.md", content="# Two", directory="out", overwrite="yes")
    assert (tmp_path / "out" / "report.md").read_text(encoding="utf-8") == "# Two"
    with pytest.raises(PermissionError):
        writer.run(filename="../escape.md", content="x")
    with pytest.raises(ValueError, match="overwrite must be true or false"):
        writer.run(filename="x.md", content="x", overwrite="maybe")


@pytest.mark.asyncio
async def test_code_interpreter_tool_runs_code_with_crewais_arguments() -> None:
    tool = CodeInterpreterTool()
    assert isinstance(tool, code_execution.CodeInterpreterTool)
    assert (tool.name, tool.description) == (
        "Code Interpreter", "Interprets Python3 code strings with a final print statement."
    )
    assert await tool.arun(code="print(6 * 7)", libraries_used=[]) == "42"
    missing = await tool.arun(code="import no_such_lib_x", libraries_used=["no_such_lib_x"])
    assert "CrewDesk does not install libraries (no_such_lib_x)" in missing
    assert CodeInterpreterTool(code="print('fixed')").run() == "fixed"


def test_code_interpreter_docker_settings_warn() -> None:
    with pytest.warns(UserWarning, match="user_dockerfile_path is not supported by CrewDesk"):
        CodeInterpreterTool(user_dockerfile_path="Dockerfile")
    assert CodeInterpreterTool(unsafe_mode=True).limits.allow_unsandboxed
    assert not CodeInterpreterTool().limits.allow_unsandboxed


@pytest.mark.asyncio
async def test_an_agent_calls_the_crewai_named_tools_through_the_simulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, llm_on: Callable[..., LLM]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tide.txt").write_text("the tide is high", encoding="utf-8")
    reader, writer = FileReadTool(), FileWriterTool()
    script = (
        f"sim-call: {reader.function_name()} {json.dumps({'file_path': 'tide.txt'})}\n"
        f"sim-call: {writer.function_name()} "
        + json.dumps({"filename": "copy.txt", "content": "copied"})
    )
    agent = Agent(role="Clerk", goal="Copy", backstory="Careful.", llm=llm_on(),
                  tools=[reader, writer])
    task = Task(description=script, expected_output="done", agent=agent)
    result = await Crew(agents=[agent], tasks=[task]).akickoff()
    assert (tmp_path / "copy.txt").read_text(encoding="utf-8") == "copied"
    assert "Content successfully written to copy.txt" in result.raw


def test_the_declared_file_is_pinned_when_the_tool_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "data.csv").write_text("kept", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "project")
    tool = FileReadTool(file_path="data.csv")
    monkeypatch.chdir(tmp_path)
    assert tool.run() == "kept"
    assert tool.run(file_path="data.csv") == "kept"  # the label the model was shown

