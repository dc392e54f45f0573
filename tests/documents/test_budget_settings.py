"""Crew documents' budgets (`CrewSettings.budget`, `batch_budget`): checked, saved, built."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from desktop_app.documents import (
    AgentSpec,
    BudgetSpec,
    CrewDocument,
    TaskSpec,
    build_crew,
    load_crew,
    save_crew,
)
from desktop_app.engine import Budget


def _document(**settings: object) -> CrewDocument:
    return CrewDocument.model_validate({
        "name": "Capped",
        "agents": [AgentSpec(key="a", role="A", goal="g", backstory="b").model_dump()],
        "tasks": [TaskSpec(key="t", description="d", expected_output="e", agent="a").model_dump()],
        "settings": settings,
    })


def test_a_budget_below_or_at_zero_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="budget.tokens"):
        _document(budget={"tokens": 0})
    with pytest.raises(ValidationError, match="batch_budget.dollars"):
        _document(batch_budget={"dollars": -1})


def test_budgets_are_saved_and_reach_the_engine(tmp_path: Path) -> None:
    document = _document(budget={"dollars": 0.5, "minutes": 3}, batch_budget={"tokens": 9000})
    path = tmp_path / "capped.crew.yaml"
    save_crew(document, path)
    loaded = load_crew(path)
    assert loaded.settings.budget == BudgetSpec(dollars=0.5, minutes=3)
    plan = build_crew(loaded).budget_plan()
    assert plan.per_run == Budget(dollars=0.5, minutes=3)
    assert plan.per_batch == Budget(tokens=9000)


def test_no_budget_builds_a_crew_without_one() -> None:
    plan = build_crew(_document(budget={})).budget_plan()
    assert plan.per_run is None and plan.per_batch is None and plan.meters() == []
