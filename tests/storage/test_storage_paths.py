"""AppPaths: platform folders, CREWDESK_HOME and folder creation."""

from __future__ import annotations

from pathlib import Path

from desktop_app.storage.paths import HOME_ENV_VAR, AppPaths


def test_home_variable_puts_everything_under_one_folder(tmp_path: Path) -> None:
    paths = AppPaths.from_env({HOME_ENV_VAR: str(tmp_path)})

    for folder in paths.all_dirs():
        assert folder.is_relative_to(tmp_path)
    assert paths.history_db.is_relative_to(paths.data_dir)
    assert paths.settings_file.parent == paths.config_dir
    assert paths.recovery_dir.is_relative_to(paths.data_dir)


def test_platform_default_uses_the_app_name() -> None:
    paths = AppPaths.from_env({})

    assert all("CrewDesk" in folder.parts for folder in paths.all_dirs())
    assert paths == AppPaths.platform_default()


def test_blank_home_variable_means_platform_default() -> None:
    assert AppPaths.from_env({HOME_ENV_VAR: "  "}) == AppPaths.platform_default()


def test_folders_are_created_on_demand_only(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path / "portable")
    assert not (tmp_path / "portable").exists()

    assert paths.ensure() is paths

    assert all(folder.is_dir() for folder in paths.all_dirs())
    paths.ensure()  # idempotent


def test_layout_can_be_injected(tmp_path: Path) -> None:
    paths = AppPaths(
        config_dir=tmp_path / "c",
        data_dir=tmp_path / "d",
        cache_dir=tmp_path / "k",
        log_dir=tmp_path / "l",
        recovery_dir=tmp_path / "r",
    )

    assert paths.history_db == tmp_path / "d" / "history.sqlite3"
    assert paths.settings_file == tmp_path / "c" / "settings.json"
