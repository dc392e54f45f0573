"""Issue 14: run modes in plain words ("Native async"), the engine's method in a tooltip."""

from __future__ import annotations

import pytest

from desktop_app.ui._run_modes import mode_label, mode_tooltip


@pytest.mark.parametrize(("mode", "label"), [
    ("akickoff", "Native async"),
    ("kickoff_async", "Worker thread"),
    ("kickoff-async", "Worker thread"),
    ("cli akickoff", "Native async (crewdesk run)"),
    ("flow", "flow"),  # not a crew mode: shown as it is
])
def test_modes_read_in_plain_words(mode: str, label: str) -> None:
    assert mode_label(mode) == label


def test_the_tooltip_names_the_engine_method() -> None:
    assert "Crew.akickoff()" in mode_tooltip("akickoff")
    assert "Crew.kickoff_async()" in mode_tooltip("cli kickoff-async")
