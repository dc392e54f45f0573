"""A run's trace exported as CrewDesk JSON and as OTLP JSON (GenAI semantic conventions).

`assert_valid_otlp` checks a document against the OTLP JSON encoding of an
`ExportTraceServiceRequest` (opentelemetry-proto's trace.proto and common.proto, and the
OTLP spec's JSON rules: hex ids, 64-bit integers as decimal strings, enums as numbers).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from desktop_app.engine.events import TraceSpan
from desktop_app.storage.history import HistoryDB, TraceSpanRecord
from desktop_app.storage.trace_export import (
    TRACE_FORMAT,
    otlp_trace_id,
    trace_as_json,
    trace_as_otlp,
)

RUN_ID = "0f8e2a3c-1d2b-4c5d-8e9f-a0b1c2d3e4f5"
_HEX = {16: re.compile(r"^[0-9a-f]{16}$"), 32: re.compile(r"^[0-9a-f]{32}$")}
_VALUE_KEYS = {"stringValue", "boolValue", "intValue", "doubleValue", "arrayValue",
               "kvlistValue", "bytesValue"}
_SPAN_KEYS = {"traceId", "spanId", "parentSpanId", "traceState", "name", "kind",
              "startTimeUnixNano", "endTimeUnixNano", "attributes", "droppedAttributesCount",
              "events", "droppedEventsCount", "links", "droppedLinksCount", "status", "flags"}


def _check_value(value: dict[str, Any]) -> None:
    assert len(value) == 1 and set(value) <= _VALUE_KEYS, value
    if "intValue" in value:
        assert re.fullmatch(r"-?\d+", value["intValue"]), value
    if "doubleValue" in value:
        assert isinstance(value["doubleValue"], float), value
    if "arrayValue" in value:
        for item in value["arrayValue"]["values"]:
            _check_value(item)


def _check_attributes(attributes: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for attribute in attributes:
        assert set(attribute) == {"key", "value"}, attribute
        assert attribute["key"] not in found, f"duplicate attribute {attribute['key']}"
        _check_value(attribute["value"])
        found[attribute["key"]] = next(iter(attribute["value"].values()))
    return found


def assert_valid_otlp(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Checks an OTLP JSON trace document; returns its spans (attributes as a dict)."""
    assert set(document) == {"resourceSpans"}
    spans: list[dict[str, Any]] = []
    for resource_spans in document["resourceSpans"]:
        assert set(resource_spans) <= {"resource", "scopeSpans", "schemaUrl"}
        _check_attributes(resource_spans["resource"]["attributes"])
        for scope_spans in resource_spans["scopeSpans"]:
            assert isinstance(scope_spans["scope"]["name"], str)
            for span in scope_spans["spans"]:
                assert set(span) <= _SPAN_KEYS, set(span) - _SPAN_KEYS
                assert _HEX[32].match(span["traceId"]) and _HEX[16].match(span["spanId"])
                if "parentSpanId" in span:
                    assert _HEX[16].match(span["parentSpanId"])
                start, end = span["startTimeUnixNano"], span["endTimeUnixNano"]
                assert re.fullmatch(r"\d+", start) and re.fullmatch(r"\d+", end)
                assert int(start) <= int(end)
                assert span["kind"] in range(6) and span["status"]["code"] in range(3)
                spans.append({**span, "attributes": _check_attributes(span["attributes"])})
    ids = {span["spanId"] for span in spans}
    assert len(ids) == len(spans), "span ids are unique"
    assert all(span["parentSpanId"] in ids for span in spans if "parentSpanId" in span)
    assert len({span["traceId"] for span in spans}) == 1
    return spans


def _recorded(tmp_path: Path) -> list[TraceSpanRecord]:
    def span(n: int, kind: str, parent: str | None, **more: Any) -> TraceSpan:
        fields: dict[str, Any] = {
            "run_id": RUN_ID, "span_id": f"{n:016x}", "parent_id": parent, "span_kind": kind,
            "name": "openai/sim", "task_index": None if kind == "run" else 0,
            "task_name": "brief", "agent_role": None if kind == "run" else "Writer",
            "started_at": 1_700_000_000.5 + n / 10, "duration_s": 0.05, **more,
        }
        return TraceSpan(**fields)

    llm_detail = {"model": "openai/sim", "messages": [{"role": "user", "content": "hi"}],
                  "answer": "hello", "tool_calls": [], "finish_reason": "stop"}
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        run_id = db.start_run("Crew", run_id=RUN_ID)
        db.append_span(span(2, "llm", f"{1:016x}", input_tokens=12, output_tokens=3,
                            cost_usd=0.0001, detail=llm_detail))
        db.append_span(span(3, "tool", f"{1:016x}", name="lookup",
                            detail={"call_id": "c1", "arguments": "{}", "output": "facts"}))
        db.append_span(span(4, "guardrail", f"{1:016x}", name="check", status="refused",
                            detail={"passed": False, "feedback": "too short"}))
        db.append_span(span(1, "task", f"{0:016x}", name="brief", duration_s=0.5))
        db.append_span(span(0, "run", None, name="Crew", duration_s=1.0, status="error",
                            detail={"error": "ValueError: boom"}))
        return db.trace(run_id)


def test_otlp_export_is_valid_and_uses_genai_conventions(tmp_path: Path) -> None:
    document = trace_as_otlp(RUN_ID, _recorded(tmp_path), crew_name="Crew", version="1.0")
    json.dumps(document)  # plain JSON
    spans = {span["spanId"]: span for span in assert_valid_otlp(document)}
    llm, tool_span = spans[f"{2:016x}"], spans[f"{3:016x}"]
    assert llm["traceId"] == "0f8e2a3c1d2b4c5d8e9fa0b1c2d3e4f5"
    assert llm["parentSpanId"] == f"{1:016x}" and "parentSpanId" not in spans[f"{0:016x}"]
    assert llm["name"] == "chat openai/sim" and llm["kind"] == 3
    assert llm["startTimeUnixNano"] == "1700000000700000000"
    assert llm["endTimeUnixNano"] == "1700000000750000000"
    attributes = llm["attributes"]
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.system"] == "openai" == attributes["gen_ai.provider.name"]
    assert attributes["gen_ai.request.model"] == "openai/sim"
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) \
        == ("12", "3")
    assert json.loads(attributes["gen_ai.input.messages"]) == [{"role": "user", "content": "hi"}]
    assert json.loads(attributes["gen_ai.output.messages"])[0]["content"] == "hello"
    assert tool_span["attributes"]["gen_ai.tool.name"] == "lookup"
    assert tool_span["attributes"]["gen_ai.operation.name"] == "execute_tool"
    assert spans[f"{0:016x}"]["status"] == {"code": 2, "message": "ValueError: boom"}
    assert json.loads(spans[f"{4:016x}"]["attributes"]["crewdesk.detail"])["passed"] is False


def test_json_export_keeps_every_field_and_the_detail(tmp_path: Path) -> None:
    document = trace_as_json(RUN_ID, _recorded(tmp_path), crew_name="Crew")
    assert document["format"] == TRACE_FORMAT and document["run_id"] == RUN_ID
    kinds = [span["kind"] for span in document["spans"]]
    assert kinds == ["llm", "tool", "guardrail", "task", "run"]
    assert document["spans"][0]["detail"]["answer"] == "hello"
    assert json.loads(json.dumps(document)) == document


def test_a_run_id_that_is_not_a_uuid_still_makes_a_trace_id() -> None:
    assert _HEX[32].match(otlp_trace_id("run-1"))
    assert otlp_trace_id("run-1") == otlp_trace_id("run-1") != otlp_trace_id("run-2")
