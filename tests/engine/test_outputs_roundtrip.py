"""Outputs survive the trip through JSON that run history makes."""

from __future__ import annotations

from pydantic import BaseModel

from desktop_app.engine import CrewOutput, TaskOutput
from desktop_app.engine.events import RunEventAdapter, RunFinished


class Report(BaseModel):
    title: str
    score: int


def test_a_structured_output_dumps_its_fields_and_reads_back_without_error() -> None:
    report = Report(title="Tides", score=7)
    task = TaskOutput(description="d", raw='{"title": "Tides", "score": 7}', pydantic=report,
                      json_dict=report.model_dump(), output_format="pydantic")
    event = RunFinished(run_id="r1", output=CrewOutput(raw=task.raw, tasks_output=[task],
                                                       pydantic=report), cost_usd=0.5)

    dumped = RunEventAdapter.dump_python(event, mode="json")
    assert dumped["output"]["pydantic"] == {"title": "Tides", "score": 7}
    assert dumped["output"]["tasks_output"][0]["pydantic"] == {"title": "Tides", "score": 7}

    back = RunEventAdapter.validate_json(RunEventAdapter.dump_json(event))
    assert isinstance(back, RunFinished)
    assert back.output.pydantic is None
    assert back.output.tasks_output[0].json_dict == {"title": "Tides", "score": 7}
    assert back.output.raw == task.raw
