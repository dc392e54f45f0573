"""The settings dialog: providers, keys in the keychain only, session-only keys, test connection."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from test_app_support import (
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    services_fixture,  # noqa: F401 - the `services` fixture
)

from desktop_app.simulator import Simulator
from desktop_app.storage.audit import scan_tree
from desktop_app.storage.secrets import mask
from desktop_app.storage.testing import MemoryKeyring
from desktop_app.ui.services import AppServices
from desktop_app.ui.settings import SettingsDialog

Run = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("gui_thread_gc")
KEY = "sk-proj-settings-Test-9f8e7d6c5b4a3210"


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    """A shown window for the dialog, as in the app (closing the dialog must not quit)."""
    main = QWidget()
    qtbot.addWidget(main)
    main.show()
    return main


def open_dialog(window: QWidget, services: AppServices) -> SettingsDialog:
    dialog = SettingsDialog(services, window)
    dialog.open()
    return dialog


def every_file(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_a_key_goes_to_the_keychain_only_and_is_shown_masked(
    qtbot: QtBot, arun: Run, services: AppServices, window: QWidget, _private_home: Path
) -> None:
    dialog = open_dialog(window, services)
    changed: list[bool] = []
    dialog.settingsChanged.connect(lambda: changed.append(True))

    async def scenario() -> None:
        await dialog.ready()
        assert dialog.keychain_banner.isHidden()
        provider = dialog.add_provider("openai")
        qtbot.keyClicks(dialog.form.key_edit, KEY)
        assert dialog.form.key_edit.echoMode() == dialog.form.key_edit.EchoMode.Password
        dialog.concurrency_box.setValue(3)
        dialog.mode_box.setCurrentIndex(dialog.mode_box.findData("kickoff_async"))
        assert await dialog.save()
        assert provider.credential_name == "openai-api-key"
        await dialog._tasks.join()
        assert dialog.form.stored_label.text() == f"{mask(KEY)} (in the keychain)"
        assert KEY not in dialog.form.stored_label.text()

    arun(scenario())
    assert changed == [True] and not dialog.isVisible()
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring)
    assert backend.passwords[("CrewDesk", "openai-api-key")] == KEY
    files = every_file(_private_home)
    assert services.paths.settings_file in files
    report = scan_tree(_private_home, [KEY])
    assert report.hits == [] and report.unreadable == []
    saved = json.loads(services.paths.settings_file.read_text(encoding="utf-8"))
    assert saved["concurrency_limit"] == 3
    assert saved["default_run_mode"] == "kickoff_async"
    assert saved["default_provider"] == "openai"
    assert saved["providers"][0]["credential_name"] == "openai-api-key"


def test_without_a_keychain_the_dialog_explains_and_offers_a_session_key(
    qtbot: QtBot, arun: Run, services: AppServices, window: QWidget, _private_home: Path
) -> None:
    keyring.set_keyring(fail.Keyring())
    dialog = open_dialog(window, services)

    async def scenario() -> None:
        await dialog.ready()
        assert not dialog.keychain_banner.isHidden()
        banner = dialog.keychain_banner.text()
        assert "No keychain" in banner and "gnome-keyring" in banner
        assert not dialog.form.session_box.isHidden()
        dialog.add_provider("anthropic")
        qtbot.keyClicks(dialog.form.key_edit, KEY)
        assert not await dialog.save()  # never silently kept: the user must agree
        assert "session only" in dialog.status_label.text()
        assert services.secrets.session_names() == frozenset()
        qtbot.mouseClick(dialog.form.session_box, Qt.MouseButton.LeftButton)
        assert await dialog.save()
        found = await services.secrets.aresolve("anthropic-api-key", "anthropic")
        assert found is not None and found.value == KEY and found.source == "session"

    arun(scenario())
    assert services.secrets.session_names() == frozenset({"anthropic-api-key"})
    assert scan_tree(_private_home, [KEY]).hits == []


def test_test_connection_against_the_simulator_shows_ok_and_refusal(
    qtbot: QtBot, arun: Run, services: AppServices, window: QWidget
) -> None:
    dialog = open_dialog(window, services)

    async def scenario() -> None:
        await dialog.ready()
        async with Simulator() as sim:
            provider = dialog.add_provider("openai_compatible")
            dialog.form.url_edit.setText(sim.base_url)
            dialog.form.url_edit.textEdited.emit(sim.base_url)
            dialog.form.model_box.setEditText("openai/sim")
            qtbot.keyClicks(dialog.form.key_edit, KEY)
            assert provider.base_url == sim.base_url
            result = await dialog.test_connection()
            assert result.ok, result.message
            assert dialog.form.test_label.text().startswith("Connected")
            dialog.form.model_box.setEditText("openai/sim:status=401")
            result = await dialog.test_connection()
            assert not result.ok
            assert "refused" in dialog.form.test_label.text()
            assert KEY not in dialog.form.test_label.text()

    arun(scenario(), timeout=90)


def test_the_offline_simulator_provider_needs_no_key_or_url(
    qtbot: QtBot, arun: Run, services: AppServices, window: QWidget
) -> None:
    dialog = open_dialog(window, services)

    async def scenario() -> None:
        await dialog.ready()
        provider = dialog.add_provider("simulator")
        assert provider.credential_name is None and provider.base_url is None
        assert not dialog.form.key_edit.isEnabled()
        result = await dialog.test_connection()
        assert result.ok, result.message

    arun(scenario(), timeout=90)


def test_providers_can_be_removed_and_the_default_moves(
    qtbot: QtBot, arun: Run, services: AppServices, window: QWidget
) -> None:
    dialog = open_dialog(window, services)

    async def scenario() -> None:
        await dialog.ready()
        assert "No provider yet" in dialog.status_label.text()
        dialog.add_provider("openai")
        second = dialog.add_provider("ollama")
        assert second.base_url == "http://localhost:11434"
        assert dialog.settings.default_provider == "openai"
        dialog.form.default_box.click()
        assert dialog.settings.default_provider == "ollama"
        assert dialog.provider_list.item(1).text().endswith("(default)")
        dialog.findChild(type(dialog.save_button), "removeProvider").click()
        assert [p.id for p in dialog.settings.providers] == ["openai"]
        assert dialog.settings.default_provider is None
        assert await dialog.save()

    arun(scenario())
    loaded = services.settings.load().settings
    assert [p.id for p in loaded.providers] == ["openai"]
