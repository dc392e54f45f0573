"""Property tests: any crew file or CrewAI project either loads or gets a `CrewFileError`.

Never another exception, never a hang (hypothesis' deadline). The default suite tries a few
hundred cases per entry; `benchmarks/reliability_fuzz.py` tries many thousands.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings

from tests.reliability.fuzz_documents import (
    Case,
    attempt,
    classic_cases,
    crew_file_cases,
    jsonc_cases,
)

_FUZZ = settings(
    max_examples=200,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_FUZZ
@given(crew_file_cases())
def test_crew_files_load_or_fail_clearly(case: Case) -> None:
    assert attempt(case) in ("loaded", "error")


@_FUZZ
@given(classic_cases())
def test_classic_crewai_projects_import_or_fail_clearly(case: Case) -> None:
    assert attempt(case) in ("loaded", "error")


@_FUZZ
@given(jsonc_cases())
def test_jsonc_crewai_projects_import_or_fail_clearly(case: Case) -> None:
    assert attempt(case) in ("loaded", "error")
