"""The working folder lent to a running project: one project at a time, the app's back after."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from desktop_app.ui.controllers._project_folder import ProjectFolders


def test_a_project_run_works_in_its_folder_and_gives_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, first, second = (tmp_path / name for name in ("app", "first", "second"))
    for folder in (home, first, second):
        folder.mkdir()
    monkeypatch.chdir(home)

    async def scenario() -> None:
        folders = ProjectFolders()
        one = await folders.enter(first)
        two = await folders.enter(first)  # a second run of the same project
        other = await folders.enter(second)
        assert one.held and two.held and one.warning is None
        assert Path.cwd() == first
        assert not other.held and other.warning is not None
        assert str(first) in other.warning and str(second) in other.warning
        await folders.leave(other)
        await folders.leave(one)
        assert Path.cwd() == first  # the project's second run still goes on
        await folders.leave(two)
        assert Path.cwd() == home
        again = await folders.enter(second)
        assert again.held and Path.cwd() == second
        await folders.leave(again)

    asyncio.run(scenario())
    assert os.getcwd() == str(home)
