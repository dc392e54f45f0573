"""Settings › MCP servers: add, test (tools listed off the GUI thread), save; the key only in
the keychain (in-memory backend) under mcp:<name>, and it reaches the sandboxed server."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from test_app_support import (
    services_fixture,  # noqa: F401 - the `services` fixture
)

from desktop_app.engine.mcp import McpConnection
from desktop_app.storage.audit import scan_tree
from desktop_app.storage.mcp_servers import list_configured_tools, server_specs
from desktop_app.storage.settings import McpServer, Settings
from desktop_app.storage.testing import MemoryKeyring
from desktop_app.ui.services import AppServices
from desktop_app.ui.settings import SettingsDialog
from tests.engine.mcp_helpers import FIXTURE

Run = Callable[..., Any]
KEY = "mcp-fixture-key-5e4d3c2b1a"


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    main = QWidget()
    qtbot.addWidget(main)
    main.show()
    return main


def test_a_server_is_added_tested_and_saved_with_its_key_in_the_keychain(
    qtbot: QtBot, arun: Run, services: AppServices, window: QWidget, _private_home: Path
) -> None:
    dialog = SettingsDialog(services, window)
    dialog.open()
    page = dialog.mcp_page
    gaps: list[float] = []

    async def scenario() -> None:
        await dialog.ready()
        qtbot.mouseClick(dialog.findChild(QWidget, "addMcpServer"), _left())
        page.name_edit.setText("fixture")
        page.command_edit.setText(f"{sys.executable} {FIXTURE}")
        page.key_name_edit.setText("FIXTURE_TOKEN")
        qtbot.keyClicks(page.key_edit, KEY)
        assert await page.apply() is not None
        ticking = asyncio.ensure_future(_tick(gaps))
        try:
            tools = await page.test()  # the server starts in about 3 s: the loop keeps going
        finally:
            ticking.cancel()
        assert tools is not None and [t.name for t in tools][:2] == ["add", "read_text"]
        assert page.tool_list.count() == 5 and "offers 5 tool(s)" in page.result_label.text()
        assert await dialog.save()

    arun(scenario(), timeout=90)
    assert len(gaps) > 20 and max(gaps) < 0.5, max(gaps)
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring)
    assert backend.passwords[("CrewDesk", "mcp:fixture")] == KEY
    saved = json.loads(services.paths.settings_file.read_text(encoding="utf-8"))
    assert saved["mcp_servers"] == [{"name": "fixture", "transport": "stdio",
                                     "command": [sys.executable, FIXTURE], "url": "",
                                     "key_name": "FIXTURE_TOKEN", "network": False}]
    report = scan_tree(_private_home, [KEY])
    assert report.hits == []


def test_a_wrong_entry_is_not_applied_and_says_why(
    arun: Run, services: AppServices, window: QWidget
) -> None:
    dialog = SettingsDialog(services, window)
    dialog.open()
    page = dialog.mcp_page

    async def scenario() -> None:
        await dialog.ready()
        page.name_edit.setText("web")
        page.transport_box.setCurrentIndex(page.transport_box.findData("http"))
        page.url_edit.setText("ftp://example.com/mcp")
        assert await page.apply() is None
        assert "http://" in page.result_label.text()
        assert dialog.settings.mcp_servers == []

    arun(scenario())
    dialog.reject()


def test_configured_servers_get_their_key_and_list_their_tools(
    arun: Run, services: AppServices
) -> None:
    services.secrets.set("mcp:fixture", KEY)
    settings = Settings(mcp_servers=[
        McpServer(name="fixture", command=[sys.executable, FIXTURE], key_name="FIXTURE_TOKEN"),
        McpServer(name="broken", command=["no-such-mcp-program"]),
    ])

    async def scenario() -> tuple[Any, str]:
        listed = await list_configured_tools(settings, services.secrets)
        specs = await server_specs(settings, services.secrets)
        connection = McpConnection(specs["fixture"])
        try:
            has, _ = await connection.call_tool("env_has", {"name": "FIXTURE_TOKEN"})
        finally:
            await connection.aclose()
        return listed, has

    listed, has = arun(scenario(), timeout=90)
    assert [t.reference for t in listed.tools][:1] == ["mcp:fixture/add"]
    assert "no-such-mcp-program" in listed.problems["broken"]
    assert has == "set"


async def _tick(gaps: list[float]) -> None:
    """Records how late the loop wakes up for a 20 ms sleep, until cancelled."""
    while True:
        before = time.monotonic()
        await asyncio.sleep(0.02)
        gaps.append(time.monotonic() - before)


def _left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
