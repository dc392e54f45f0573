"""After a session that sets keys, runs crews, writes history, settings and logs and exports a
crew, no key is in any file under the app's folders, the export or the temporary directory.

Figure: hits (plain, base64 at any alignment, UTF-16), printed with the files scanned.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.documents import (
    AgentSpec,
    CrewDocument,
    TaskSpec,
    build_crew,
    export_crewai_project,
    override_llm,
    save_crew,
)
from desktop_app.engine import CrewError
from desktop_app.engine.events import RunFailed, RunFinished, TextDelta, ToolCallFinished
from desktop_app.simulator import Simulator
from desktop_app.storage.audit import scan_tree
from desktop_app.storage.history import RunHistory
from desktop_app.storage.paths import AppPaths
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import ProviderSettings, Settings, SettingsStore


@pytest.fixture
def session_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private temporary directory for everything this session writes there."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """Every logger at DEBUG into a file under the app's log folder."""
    log_dir = AppPaths.from_env().ensure().log_dir
    path = log_dir / "crewdesk.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def _document(base_url: str) -> CrewDocument:
    agents = [
        AgentSpec(key="coder", role="Coder", goal="Compute", backstory="Exact.",
                  llm="openai/sim:tokens=20", credential="sim-work", allow_code_execution=True),
        AgentSpec(key="writer", role="Writer", goal="Write", backstory="Clear.",
                  llm="openai/sim:tokens=20", credential="sim-work"),
    ]
    tasks = [
        TaskSpec(key="mean", description="Mean of values = [1, 2, 3, {n}]", expected_output="a number",
                 agent="coder"),
        TaskSpec(key="note", description="Write a note on {n}", expected_output="text",
                 agent="writer", context=["mean"]),
    ]
    return override_llm(CrewDocument(name="Secrets", agents=agents, tasks=tasks),
                        base_url=base_url)


async def _run_and_record(
    document: CrewDocument, key: str, history: RunHistory, n: int
) -> str:
    crew = build_crew(document, resolve_api_key=lambda _spec: key, stream=True)
    run_id = await history.start_run(document.name, crew_snapshot=document.model_dump(mode="json"),
                                     inputs={"n": n})
    status, error, final = "failed", None, None
    with contextlib.suppress(CrewError):  # a failed run raises after its RunFailed event
        async for event in crew.stream_events({"n": n}):
            if isinstance(event, TextDelta):
                history.append_text(run_id, event.task_index, event.content)
            elif isinstance(event, ToolCallFinished):
                history.append_text(run_id, event.task_index, event.output, kind="tool_call")
            elif isinstance(event, RunFinished):
                status, final = "finished", event.output.raw
            elif isinstance(event, RunFailed):
                error = event.error
                logging.getLogger("crewdesk.runs").error("run %s failed: %s", run_id, error)
    await history.finish_run(run_id, status, final_output=final, error=error)  # type: ignore[arg-type]
    return status


def _export(document: CrewDocument, folder: Path) -> None:
    export_crewai_project(document, folder)
    save_crew(document, folder / "secrets.crew.yaml")


def _control_hits(folder: Path, key: str) -> int:
    """Hits for a key planted in base64 (the scanner does see a leak)."""
    folder.mkdir()
    (folder / "leak.txt").write_text(base64.b64encode(f"k={key}".encode()).decode())
    return len(scan_tree(folder, [key]).hits)


@pytest.mark.asyncio
async def test_no_key_is_left_in_any_file(
    sim: Simulator, tmp_path: Path, session_tmp: Path, debug_log: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths = AppPaths.from_env().ensure()
    keys = {name: f"sk-{name}-{secrets.token_urlsafe(24)}" for name in ("work", "refused", "env")}
    store = SecretStore()
    await store.aset("sim-work", keys["work"])
    await store.aset("sim-refused", keys["refused"])
    monkeypatch.setenv("OPENAI_API_KEY", keys["env"])
    await SettingsStore(paths).asave(Settings(providers=[
        ProviderSettings(id="sim", kind="simulator", base_url=sim.base_url,
                         credential_name="sim-work"),
        ProviderSettings(id="other", kind="openai_compatible", base_url=sim.base_url,
                         credential_name="sim-refused"),
    ]))
    document = _document(sim.base_url)
    work = await store.aresolve("sim-work", "simulator")
    refused = await store.aresolve("sim-refused", "openai_compatible")
    assert work is not None and refused is not None

    history = RunHistory(paths)
    statuses = [await _run_and_record(document, work.value, history, n) for n in range(3)]
    bad = override_llm(document, model="openai/sim:status=401")
    statuses.append(await _run_and_record(bad, refused.value, history, 9))
    await history.flush()
    await history.close()
    export = tmp_path / "export"
    await asyncio.to_thread(_export, document, export)
    logging.getLogger("crewdesk.session").info("session done with %s", store)

    assert statuses == ["finished", "finished", "finished", "failed"]
    report = await asyncio.to_thread(
        scan_tree, [*paths.all_dirs(), export, session_tmp], keys.values()
    )
    hits = [f"{hit.path.name}: {hit.secret} ({hit.encoding})" for hit in report.hits]
    print(f"\nsecrets scan: {len(keys)} keys, {report.files_scanned} files scanned, "
          f"{len(report.unreadable)} unreadable, hits: {len(hits)}")
    assert report.files_scanned >= 5
    log_text = await asyncio.to_thread(debug_log.read_text, encoding="utf-8")
    # the log saw the calls: litellm's debug lines, httpcore's, or the native client's own
    saw_calls = ("LiteLLM", "httpcore.http11", "HTTP Request: POST")
    assert any(mark in log_text for mark in saw_calls) and "was refused" in log_text
    assert await asyncio.to_thread(_control_hits, tmp_path / "control", keys["work"]) == 1
    assert report.unreadable == []
    assert hits == []
