"""``crewdesk run`` of a crew file naming ``mcp:<server>/<tool>``: the app's MCP servers (from
the settings, key from the keychain) serve it; an unknown server is refused before the run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app.storage.paths import AppPaths
from desktop_app.storage.settings import McpServer, Settings, SettingsStore
from tests.engine.mcp_helpers import FIXTURE

CREW = """schema_version: 1
name: MCP adder
process: sequential
settings:
  approval: always
agents:
  - key: adder
    role: Adder
    goal: Add
    backstory: Counts.
    tools: [TOOL]
tasks:
  - key: add
    description: 'Add them\\nsim-call: fixture_add {"a": 30, "b": 12}'
    expected_output: a sum
    agent: adder
"""


def _crew(tmp_path: Path, tool: str) -> str:
    path = tmp_path / "adder.crew.yaml"
    path.write_text(CREW.replace("TOOL", tool), encoding="utf-8")
    return str(path)


def test_a_crew_file_runs_an_mcp_tool_of_the_apps_servers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    SettingsStore(AppPaths.from_env()).save(Settings(mcp_servers=[
        McpServer(name="fixture", command=[sys.executable, FIXTURE])]))
    assert cli.main(["run", _crew(tmp_path, "mcp:fixture/add"), "--simulator", "--quiet"]) == 0
    assert "sum=42" in capsys.readouterr().out


def test_an_unknown_server_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", _crew(tmp_path, "mcp:github/search"), "--simulator"]) != 0
    assert "'github'" in capsys.readouterr().err
