"""`crewdesk doctor` says which sandbox runs model code, and warns when there is none."""

from __future__ import annotations

import sys

import pytest

from desktop_app import doctor
from desktop_app.engine.sandbox import caps_summary, detect


def test_the_doctor_names_the_active_sandbox_and_why() -> None:
    check = doctor.check_sandbox()
    found = detect()
    if found.backend is None:
        assert check.outcome == "warn"
    else:
        assert check.outcome == "ok"
        assert check.detail == f"{found.backend}: {found.reason}; {caps_summary(found.backend)}"
        assert "; memory: " in check.detail  # how a run's memory is capped, in words


def test_with_no_sandbox_the_doctor_warns_that_code_will_not_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CREWDESK_SANDBOX", "none")
    check = doctor.check_sandbox()
    assert check.outcome == "warn" and "will not run" in check.detail
    assert ("bubblewrap" in check.detail) == sys.platform.startswith("linux")


def test_with_no_sandbox_the_doctor_still_runs_the_simulators_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CREWDESK_SANDBOX", "none")
    check = doctor.check_crew()
    assert check.outcome == "ok", check.detail
    assert "(unsandboxed: no sandbox here)" in check.detail


def test_the_doctors_crew_runs_in_the_sandbox_when_there_is_one() -> None:
    found = detect()
    if found.backend is None:
        pytest.skip("no sandbox here")
    check = doctor.check_crew()
    assert check.outcome == "ok" and f"(in the {found.backend} sandbox)" in check.detail
