"""Settings: round trip, atomic save, migrations and damaged files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from desktop_app.storage.paths import AppPaths
from desktop_app.storage.settings import (
    SCHEMA_VERSION,
    ProviderSettings,
    Settings,
    SettingsMigrationError,
    SettingsStore,
    migrate_settings,
)


def _settings() -> Settings:
    settings = Settings(
        providers=[
            ProviderSettings(
                id="oa",
                kind="openai",
                display_name="OpenAI",
                default_model="gpt-4o-mini",
                credential_name="openai-main",
            ),
            ProviderSettings(id="local", kind="ollama", base_url="http://127.0.0.1:11434"),
        ],
        default_provider="oa",
        concurrency_limit=3,
        default_run_mode="kickoff_async",
    )
    settings.set_window_state(b"\x00\x01\xffQt")
    settings.add_recent_file("/crews/a.crew.json")
    return settings


def test_defaults() -> None:
    settings = Settings()

    assert settings.schema_version == SCHEMA_VERSION == 1
    assert settings.concurrency_limit == 8
    assert settings.default_run_mode == "akickoff"
    assert settings.providers == []
    assert settings.window_state_bytes() is None


def test_round_trip(app_paths: AppPaths) -> None:
    store = SettingsStore(app_paths)
    store.save(_settings())

    loaded, warning = store.load()

    assert warning is None
    assert loaded == _settings()
    assert loaded.window_state_bytes() == b"\x00\x01\xffQt"
    assert loaded.provider("local") is not None
    assert json.loads(store.path.read_text())["schema_version"] == SCHEMA_VERSION


def test_missing_file_gives_defaults_without_warning(app_paths: AppPaths) -> None:
    assert SettingsStore(app_paths).load() == (Settings(), None)


def test_save_is_atomic_and_leaves_no_temp_files(
    app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SettingsStore(app_paths)
    store.save(_settings())
    before = store.path.read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError("disk vanished")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk vanished"):
        store.save(Settings(concurrency_limit=99))

    assert store.path.read_bytes() == before
    assert sorted(p.name for p in app_paths.config_dir.iterdir()) == ["settings.json"]


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[1, 2]",
        '{"schema_version": 1, "concurrency_limit": 0}',
        '{"schema_version": "one"}',
        '{"providers": [{"id": "x", "kind": "openai"}, {"id": "x", "kind": "groq"}]}',
        '{"window_state": "***"}',
    ],
)
def test_damaged_file_gives_defaults_a_warning_and_a_copy(
    app_paths: AppPaths, content: str
) -> None:
    store = SettingsStore(app_paths)
    app_paths.ensure()
    store.path.write_text(content, encoding="utf-8")

    settings, warning = store.load()

    assert settings == Settings()
    assert warning is not None
    assert "damaged" in warning
    assert str(store.bad_path) in warning
    assert store.bad_path.read_text(encoding="utf-8") == content


def test_undecodable_file_is_damaged(app_paths: AppPaths) -> None:
    store = SettingsStore(app_paths)
    app_paths.ensure()
    store.path.write_bytes(b"\xff\xfe\x00garbage")

    settings, warning = store.load()

    assert settings == Settings()
    assert warning is not None
    assert store.bad_path.exists()


def test_unversioned_file_is_migrated(app_paths: AppPaths) -> None:
    store = SettingsStore(app_paths)
    app_paths.ensure()
    store.path.write_text('{"concurrency_limit": 4}', encoding="utf-8")

    settings, warning = store.load()

    assert warning is None
    assert settings.schema_version == SCHEMA_VERSION
    assert settings.concurrency_limit == 4


def test_migrations_run_in_order() -> None:
    def rename(data: dict[str, Any]) -> dict[str, Any]:
        data["limit"] = data.pop("max_runs")
        return data

    def double(data: dict[str, Any]) -> dict[str, Any]:
        data["limit"] *= 2
        return data

    migrated = migrate_settings(
        {"schema_version": 1, "max_runs": 5}, migrations={1: rename, 2: double}, target=3
    )

    assert migrated == {"schema_version": 3, "limit": 10}


def test_missing_migration_step_is_an_error() -> None:
    with pytest.raises(SettingsMigrationError, match="from settings version 1"):
        migrate_settings({"schema_version": 1}, migrations={}, target=2)


def test_newer_file_is_used_with_a_warning_and_kept(app_paths: AppPaths) -> None:
    store = SettingsStore(app_paths)
    app_paths.ensure()
    original = '{"schema_version": 7, "concurrency_limit": 5, "shiny_new_thing": true}'
    store.path.write_text(original, encoding="utf-8")

    settings, warning = store.load()

    assert settings.concurrency_limit == 5
    assert settings.schema_version == SCHEMA_VERSION
    assert warning is not None
    assert "newer CrewDesk" in warning
    assert (app_paths.config_dir / "settings.json.v7").read_text(encoding="utf-8") == original


def test_a_key_typed_into_the_file_is_never_written_back(app_paths: AppPaths) -> None:
    store = SettingsStore(app_paths)
    app_paths.ensure()
    leaked = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    data = {"providers": [{"id": "oa", "kind": "openai", "api_key": leaked}], "api_key": leaked}
    store.path.write_text(json.dumps(data), encoding="utf-8")

    settings, _ = store.load()
    store.save(settings)

    assert leaked not in store.path.read_text(encoding="utf-8")


def test_validation() -> None:
    with pytest.raises(ValidationError):
        Settings(concurrency_limit=0)
    with pytest.raises(ValidationError):
        ProviderSettings(id="x", kind="cohere")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ProviderSettings(id="", kind="openai")


def test_dangling_default_provider_is_forgotten() -> None:
    assert Settings(default_provider="gone").default_provider is None


def test_recent_files_are_unique_and_capped() -> None:
    settings = Settings()
    for i in range(15):
        settings.add_recent_file(f"/c/{i}.json")
    settings.add_recent_file("/c/10.json")

    assert settings.recent_files[0] == "/c/10.json"
    assert len(settings.recent_files) == 10
    assert len(set(settings.recent_files)) == 10


@pytest.mark.asyncio
async def test_async_load_and_save(app_paths: AppPaths) -> None:
    store = SettingsStore(app_paths)
    await store.asave(_settings())

    loaded, warning = await store.aload()

    assert warning is None
    assert loaded == _settings()


def test_bad_copy_path_is_next_to_the_file(tmp_path: Path) -> None:
    store = SettingsStore(AppPaths.under(tmp_path))
    assert store.bad_path == tmp_path / "config" / "settings.json.bad"
