"""What the simulator has seen, for tests and benchmarks to assert on."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

MAX_RECORDED_REQUESTS = 1000

TOOL_SERVICES = ("serper", "tavily", "exa", "brave", "web")
"""The search and scrape services counted in ``SimulatorStats.tool_requests``."""


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request body the simulator received.

    Attributes:
        path: The request path, e.g. ``/v1/chat/completions``.
        model: The ``model`` field as sent (e.g. ``sim:ttft=0``), or None.
        body: The parsed JSON body.
        received_at: ``time.monotonic()`` when the request was read.
    """

    path: str
    model: str | None
    body: dict[str, Any]
    received_at: float


class SimulatorStats:
    """Counters and the last requests of one simulator.

    Updated on the server's event loop; reading from another thread (``SimulatorThread``)
    is safe.

    Attributes:
        requests_total: HTTP requests received, of any kind.
        in_flight: Requests being answered now.
        max_in_flight: The most requests answered at once.
        streams_completed: Streams that ended with ``[DONE]``.
        streams_aborted_by_client: Streams whose client closed the connection before the end.
        max_lateness: The most seconds any timed write (a token, a delayed answer) went out
            after its due time; it stays near the 5 ms tick unless the server is overloaded.
        tool_requests: Requests to the search and scrape endpoints, answered or refused, by
            service: ``serper``, ``tavily``, ``exa``, ``brave`` and ``web`` (see
            `_tool_apis`), so a test can assert that a tool really called the service.
    """

    def __init__(self) -> None:
        """Start with every counter at zero."""
        self._lock = threading.Lock()
        self._requests: deque[RecordedRequest] = deque(maxlen=MAX_RECORDED_REQUESTS)
        self.requests_total = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.streams_completed = 0
        self.streams_aborted_by_client = 0
        self.max_lateness = 0.0
        self.tool_requests: dict[str, int] = dict.fromkeys(TOOL_SERVICES, 0)

    @property
    def requests(self) -> list[RecordedRequest]:
        """The last 1,000 JSON request bodies received, oldest first (for search and scrape
        endpoints: the JSON body, or a GET's query parameters)."""
        with self._lock:
            return list(self._requests)

    def record(self, request: RecordedRequest) -> None:
        """Remember a request body."""
        with self._lock:
            self._requests.append(request)

    def record_tool_request(self, service: str, request: RecordedRequest) -> None:
        """Count a request to a search or scrape endpoint and remember its body."""
        with self._lock:
            self.tool_requests[service] = self.tool_requests.get(service, 0) + 1
        self.record(request)

    def request_started(self) -> None:
        """Count a request that is now being answered."""
        self.requests_total += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def request_finished(self) -> None:
        """Count the end of a request's answer."""
        self.in_flight -= 1

    def note_lateness(self, seconds: float) -> None:
        """Remember how late a timed write went out."""
        self.max_lateness = max(self.max_lateness, seconds)

    def reset(self) -> None:
        """Zero the counters (``in_flight`` keeps counting requests still open) and forget
        the recorded requests."""
        with self._lock:
            self._requests.clear()
        self.requests_total = 0
        self.max_in_flight = self.in_flight
        self.streams_completed = 0
        self.streams_aborted_by_client = 0
        self.max_lateness = 0.0
        with self._lock:
            self.tool_requests = dict.fromkeys(TOOL_SERVICES, 0)

    def counters(self) -> dict[str, float]:
        """Return the counters as a dict (served at ``GET /stats``)."""
        return {
            "requests_total": self.requests_total,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "streams_completed": self.streams_completed,
            "streams_aborted_by_client": self.streams_aborted_by_client,
            "max_lateness": round(self.max_lateness, 6),
            **{f"{service}_requests": count for service, count in self.tool_requests.items()},
        }

    def __repr__(self) -> str:
        """Show the counters."""
        fields = ", ".join(f"{k}={v}" for k, v in self.counters().items())
        return f"SimulatorStats({fields})"
