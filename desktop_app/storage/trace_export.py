"""A run's trace as files other tools read: CrewDesk's own JSON, and OpenTelemetry OTLP JSON.

OTLP JSON is the JSON form of an OTLP `ExportTraceServiceRequest` (what an OTLP/HTTP
collector accepts at `/v1/traces` with `Content-Type: application/json`, and what Langfuse,
Phoenix and Jaeger import): `resourceSpans` > `scopeSpans` > `spans`, ids as hex (the run's
id is the trace id), times as unix nanoseconds in strings, attributes as typed values. The
attributes follow OpenTelemetry's GenAI semantic conventions: an LLM call is a "chat" span
(`gen_ai.operation.name`, `gen_ai.provider.name` and the older `gen_ai.system`,
`gen_ai.request.model`, `gen_ai.usage.input_tokens`/`output_tokens`, the messages as
`gen_ai.input.messages`/`gen_ai.output.messages`), a tool call an "execute_tool" span, a
task an "invoke_agent" span; the other steps keep CrewDesk's names under `crewdesk.*`.

No Qt here: the CLI (`crewdesk trace`) and the app's Trace view both call it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from desktop_app.storage._history_trace import TraceSpanRecord

__all__ = ["TRACE_FORMAT", "otlp_trace_id", "trace_as_json", "trace_as_otlp"]

TRACE_FORMAT = "crewdesk.trace/1"
"""The `format` of CrewDesk's own trace JSON."""

_SCOPE = "crewdesk"
_CLIENT, _INTERNAL = 3, 1  # OTLP SpanKind: SPAN_KIND_CLIENT, SPAN_KIND_INTERNAL
_STATUS_OK, _STATUS_ERROR = 1, 2  # OTLP StatusCode


def trace_as_json(
    run_id: str, spans: Sequence[TraceSpanRecord], *, crew_name: str | None = None
) -> dict[str, Any]:
    """CrewDesk's own form: every stored field of every span, its detail parsed."""
    return {
        "format": TRACE_FORMAT,
        "run_id": run_id,
        "crew_name": crew_name,
        "spans": [
            {
                "seq": span.seq, "span_id": span.span_id, "parent_id": span.parent_id,
                "kind": span.kind, "name": span.name, "task_index": span.task_index,
                "agent": span.agent, "started_at": span.started_at,
                "duration_s": span.duration_s, "input_tokens": span.input_tokens,
                "output_tokens": span.output_tokens, "cost_usd": span.cost_usd,
                "status": span.status, "detail": span.detail,
            }
            for span in spans
        ],
    }


def otlp_trace_id(run_id: str) -> str:
    """The 32-hex-digit trace id of a run: its id when that is a UUID, else a hash of it."""
    plain = run_id.replace("-", "").lower()
    if len(plain) == 32 and all(c in "0123456789abcdef" for c in plain):
        return plain
    return hashlib.sha256(run_id.encode()).hexdigest()[:32]


def trace_as_otlp(
    run_id: str, spans: Sequence[TraceSpanRecord], *, crew_name: str | None = None,
    version: str = "",
) -> dict[str, Any]:
    """The trace as an OTLP JSON `ExportTraceServiceRequest` (one resource, one scope)."""
    trace_id = otlp_trace_id(run_id)
    resource = [_attr("service.name", "crewdesk"), _attr("crewdesk.run.id", run_id)]
    if crew_name:
        resource.append(_attr("crewdesk.crew.name", crew_name))
    return {
        "resourceSpans": [{
            "resource": {"attributes": resource},
            "scopeSpans": [{
                "scope": {"name": _SCOPE, "version": version},
                "spans": [_otlp_span(trace_id, span) for span in spans],
            }],
        }],
    }


def _otlp_span(trace_id: str, span: TraceSpanRecord) -> dict[str, Any]:
    name, kind, attributes = _semantics(span)
    status: dict[str, Any] = {"code": _STATUS_ERROR if span.status == "error" else _STATUS_OK}
    if span.status == "error":
        status["message"] = str(span.detail.get("error", ""))
    out: dict[str, Any] = {
        "traceId": trace_id,
        "spanId": span.span_id,
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(_nanos(span.started_at)),
        "endTimeUnixNano": str(_nanos(span.started_at) + round(span.duration_s * 1e9)),
        "attributes": attributes,
        "status": status,
    }
    if span.parent_id:
        out["parentSpanId"] = span.parent_id
    return out


def _nanos(seconds: float) -> int:
    return round(seconds * 1e9)


def _semantics(span: TraceSpanRecord) -> tuple[str, int, list[dict[str, Any]]]:
    """The span's OTLP name, kind and attributes."""
    attributes = [_attr("crewdesk.span.kind", span.kind), _attr("crewdesk.status", span.status)]
    if span.task_index is not None:
        attributes.append(_attr("crewdesk.task.index", span.task_index))
    if span.agent:
        attributes.append(_attr("gen_ai.agent.name", span.agent))
    if span.cost_usd is not None:
        attributes.append(_attr("gen_ai.usage.cost", span.cost_usd))
    attributes += _usage(span)
    if span.kind == "llm":
        return f"chat {span.name}", _CLIENT, attributes + _llm_attributes(span)
    if span.kind == "tool":
        return f"execute_tool {span.name}", _INTERNAL, attributes + _tool_attributes(span)
    if span.kind == "task":
        attributes.append(_attr("gen_ai.operation.name", "invoke_agent"))
        return f"invoke_agent {span.agent or span.name}", _INTERNAL, attributes
    attributes.append(_attr("crewdesk.detail", _dumps(span.detail)))
    return f"{span.kind} {span.name}", _INTERNAL, attributes


def _usage(span: TraceSpanRecord) -> list[dict[str, Any]]:
    found = []
    if span.input_tokens is not None:
        found.append(_attr("gen_ai.usage.input_tokens", span.input_tokens))
    if span.output_tokens is not None:
        found.append(_attr("gen_ai.usage.output_tokens", span.output_tokens))
    return found


def _llm_attributes(span: TraceSpanRecord) -> list[dict[str, Any]]:
    detail = span.detail
    model = str(detail.get("model") or span.name)
    provider = model.split("/", 1)[0] if "/" in model else "openai"
    found = [
        _attr("gen_ai.operation.name", "chat"),
        _attr("gen_ai.provider.name", provider),
        _attr("gen_ai.system", provider),
        _attr("gen_ai.request.model", model),
        _attr("gen_ai.input.messages", _dumps(detail.get("messages", []))),
        _attr("gen_ai.output.messages", _dumps([_output_message(detail)])),
    ]
    if detail.get("finish_reason"):
        found.append(_attr("gen_ai.response.finish_reasons", [str(detail["finish_reason"])]))
    return found


def _output_message(detail: Mapping[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": detail.get("answer", "")}
    if detail.get("tool_calls"):
        message["tool_calls"] = detail["tool_calls"]
    return message


def _tool_attributes(span: TraceSpanRecord) -> list[dict[str, Any]]:
    detail = span.detail
    return [
        _attr("gen_ai.operation.name", "execute_tool"),
        _attr("gen_ai.tool.name", span.name),
        _attr("gen_ai.tool.call.id", str(detail.get("call_id", ""))),
        _attr("gen_ai.tool.call.arguments", str(detail.get("arguments", ""))),
        _attr("gen_ai.tool.call.result", str(detail.get("output", ""))),
    ]


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _attr(key: str, value: str | int | float | list[str]) -> dict[str, Any]:
    """An OTLP `KeyValue` (int64 values are strings in OTLP JSON)."""
    return {"key": key, "value": _any_value(value)}


def _any_value(value: str | int | float | list[str]) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [{"stringValue": item} for item in value]}}
    return {"stringValue": value}
