"""File tools in a run: the workspace, reads outside it, symlinks, and the network tools'
requests, through the real engine on the simulator.

The simulator answers ``Result: <last tool output>`` after the scripted calls, so what a
tool read (or the refusal) shows in the crew's answer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop_app.engine import LLM, Agent, Crew, Task, builtin_tools
from desktop_app.engine.approval import ApprovalRequest, Approvals, Decision
from desktop_app.engine.toolkit import (
    BraveSearchTool,
    DirectoryReadTool,
    EXASearchTool,
    FileReadTool,
    ScrapeWebsiteTool,
    SerperDevTool,
    TavilySearchTool,
    TXTSearchTool,
    WebsiteSearchTool,
)


class Recorder:
    """A sync approver that answers from a list and keeps every request."""

    def __init__(self, *answers: Decision) -> None:
        self.answers = list(answers)
        self.requests: list[ApprovalRequest] = []

    def __call__(self, request: ApprovalRequest) -> Decision:
        self.requests.append(request)
        return self.answers.pop(0)


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A workspace with `notes.txt` and, beside it, `secret.txt`; the working folder is
    elsewhere, so relative paths must resolve from the workspace."""
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    (work / "notes.txt").write_text("inside notes", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside secret", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    return work, tmp_path / "secret.txt"


async def _answer(llm: LLM, tool: Any, arguments: dict[str, Any], approvals: Approvals) -> str:
    script = f"sim-call: {tool.function_name()} {json.dumps(arguments)}"
    agent = Agent(role="Reader", goal="Read", backstory="Curious.", llm=llm, tools=[tool])
    crew = Crew(agents=[agent], tasks=[Task(description=script, expected_output="x", agent=agent)])
    crew.set_approvals(approvals)
    return str((await crew.akickoff()).raw)


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [builtin_tools.FileReadTool, FileReadTool])
async def test_a_read_inside_the_workspace_needs_no_approval(
    make: Callable[[], Any], folders: tuple[Path, Path], llm_on: Callable[..., LLM]
) -> None:
    work, _secret = folders
    recorder = Recorder()
    approvals = Approvals(policy="ask", approver=recorder, workspace=work)
    answer = await _answer(llm_on(), make(), {"file_path": "notes.txt"}, approvals)
    assert answer.startswith("Result: inside notes")
    assert recorder.requests == []


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [builtin_tools.FileReadTool, FileReadTool])
async def test_a_read_outside_the_workspace_asks_naming_the_path(
    make: Callable[[], Any], folders: tuple[Path, Path], llm_on: Callable[..., LLM]
) -> None:
    work, secret = folders
    recorder = Recorder("deny", "run")
    approvals = Approvals(policy="ask", approver=recorder, workspace=work)
    denied = await _answer(llm_on(), make(), {"file_path": "../secret.txt"}, approvals)
    assert "outside secret" not in denied
    assert denied.startswith("Result: Error: the user did not allow this call (Read ")
    allowed = await _answer(llm_on(), make(), {"file_path": str(secret)}, approvals)
    assert allowed.startswith("Result: outside secret")
    for request in recorder.requests:
        assert (request.kind, request.target) == ("file_read", str(secret))
        assert request.summary == f"Read {secret} (outside the crew's folder)"


@pytest.mark.asyncio
async def test_a_symlink_out_of_the_workspace_counts_as_outside(
    folders: tuple[Path, Path], llm_on: Callable[..., LLM]
) -> None:
    work, secret = folders
    (work / "link.txt").symlink_to(secret)
    recorder = Recorder("deny")
    approvals = Approvals(policy="ask", approver=recorder, workspace=work)
    answer = await _answer(llm_on(), builtin_tools.FileReadTool(), {"file_path": "link.txt"},
                           approvals)
    [request] = recorder.requests
    assert request.target == str(secret)  # the link's target, resolved
    assert "outside secret" not in answer


@pytest.mark.asyncio
async def test_allowed_paths_are_read_without_asking(
    folders: tuple[Path, Path], llm_on: Callable[..., LLM]
) -> None:
    work, secret = folders
    recorder = Recorder()
    approvals = Approvals(policy="ask", approver=recorder, workspace=work,
                          allowed_paths=(secret,))
    answer = await _answer(llm_on(), FileReadTool(), {"file_path": str(secret)}, approvals)
    assert answer.startswith("Result: outside secret") and recorder.requests == []


@pytest.mark.asyncio
async def test_never_refuses_a_read_outside_but_not_inside(
    folders: tuple[Path, Path], llm_on: Callable[..., LLM]
) -> None:
    work, secret = folders
    approvals = Approvals(policy="never", workspace=work)
    outside = await _answer(llm_on(), FileReadTool(), {"file_path": str(secret)}, approvals)
    assert "outside secret" not in outside
    inside = await _answer(llm_on(), FileReadTool(), {"file_path": "notes.txt"}, approvals)
    assert inside.startswith("Result: inside notes")


@pytest.mark.asyncio
async def test_listing_a_folder_outside_the_workspace_asks(
    folders: tuple[Path, Path], llm_on: Callable[..., LLM]
) -> None:
    work, secret = folders
    recorder = Recorder("deny")
    approvals = Approvals(policy="ask", approver=recorder, workspace=work)
    answer = await _answer(llm_on(), DirectoryReadTool(), {"directory": ".."}, approvals)
    [request] = recorder.requests
    assert (request.kind, request.target) == ("file_read", str(secret.parent))
    assert request.summary.startswith(f"List {secret.parent} ")
    assert "secret.txt" not in answer
    inside = await _answer(llm_on(), DirectoryReadTool(), {"directory": "."}, approvals)
    assert "notes.txt" in inside and len(recorder.requests) == 1


def test_network_tools_ask_naming_their_address() -> None:
    workspace = Path.cwd()
    scrape = ScrapeWebsiteTool().approval_request(
        {"website_url": "https://example.test/page"}, workspace)
    fetch = builtin_tools.FetchUrlTool().approval_request(
        {"website_url": "http://example.test/"}, workspace)
    assert scrape is not None and fetch is not None
    assert (scrape.kind, scrape.target, scrape.summary) == (
        "network", "https://example.test/page", "GET https://example.test/page")
    assert fetch.target == "http://example.test/"
    searches: list[tuple[Any, str, dict[str, Any]]] = [
        (SerperDevTool(), "https://google.serper.dev/search", {"search_query": "tides"}),
        (TavilySearchTool(), "https://api.tavily.com/search", {"query": "tides"}),
        (EXASearchTool(), "https://api.exa.ai/search", {"search_query": "tides"}),
        (BraveSearchTool(), "https://api.search.brave.com/res/v1/web/search",
         {"search_query": "tides"}),
    ]
    for tool, address, arguments in searches:
        request = tool.approval_request(arguments, workspace)
        assert request is not None
        assert (request.kind, request.target) == ("network", address)
        assert "'tides'" in request.summary and "tides" in request.detail


def test_a_search_tool_asks_before_fetching_a_page_the_model_names() -> None:
    workspace = Path.cwd()
    request = WebsiteSearchTool().approval_request(
        {"search_query": "tides", "website": "https://example.test/tides"}, workspace)
    assert request is not None
    assert (request.kind, request.target) == ("network", "https://example.test/tides")
    assert TXTSearchTool().approval_request(
        {"search_query": "tides", "txt": "notes.txt"}, workspace) is None


@pytest.mark.asyncio
async def test_without_a_workspace_the_working_folder_at_run_start_is_it(
    folders: tuple[Path, Path], llm_on: Callable[..., LLM], monkeypatch: pytest.MonkeyPatch
) -> None:
    work, secret = folders
    monkeypatch.chdir(work)
    recorder = Recorder("deny")
    approvals = Approvals(policy="ask", approver=recorder)
    inside = await _answer(llm_on(), FileReadTool(), {"file_path": "notes.txt"}, approvals)
    assert inside.startswith("Result: inside notes") and recorder.requests == []
    await _answer(llm_on(), FileReadTool(), {"file_path": "../secret.txt"}, approvals)
    assert [r.target for r in recorder.requests] == [str(secret)]


def test_the_file_reader_refuses_special_files_by_name(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="pipe: .*named pipe"):
        builtin_tools.FileReadTool().run(file_path=str(fifo))  # never blocks
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    with pytest.raises(ValueError, match="a device"):  # not read until memory runs out
        builtin_tools.FileReadTool().run(file_path=str(tmp_path / "zero.txt"))
    with pytest.raises(PermissionError, match="outside the folder"):  # resolved first
        FileReadTool(base_dir=str(tmp_path)).run(file_path="zero.txt")
