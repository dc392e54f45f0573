"""HTTP for the toolkit's network tools: where each service is, and one request each way.

Every tool has a blocking path (`_run`, httpx's `Client`) and an async one (`_arun`,
httpx's `AsyncClient`), so the event loop is never blocked. A service's address comes from
the tool's own argument where CrewAI has one, else from an override variable
(`CREWDESK_SERPER_URL`...; contract C8, so tests point tools at the simulator), else the
real service. A run can also carry its own addresses for those variables (`routed_services`,
a context variable: the app's dry runs route their tools to the simulator without touching
the process's environment, which other runs share).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx

from desktop_app.engine.approval import ApprovalRequest
from desktop_app.engine.toolkit._face import CrewAIToolFace

__all__ = [
    "Request",
    "ServiceError",
    "ServiceTool",
    "aexchange",
    "exchange",
    "routed_services",
    "save_results",
    "service_url",
]


RETRIES = 2
"""Times a request is sent again after a 429 or a 5xx."""

MAX_WAIT_S = 10.0
"""The longest wait before sending again, whatever `Retry-After` says."""


class ServiceError(RuntimeError):
    """A search service refused or failed; the message names the service and the status."""


_ROUTES: ContextVar[Mapping[str, str] | None] = ContextVar("crewdesk_service_routes", default=None)
"""Addresses by override variable for the current run (its context), ahead of the environment."""


@contextlib.contextmanager
def routed_services(routes: Mapping[str, str]) -> Iterator[None]:
    """Gives the code run inside (and the tasks and threads it starts, which copy the
    context) these addresses for the override variables, ahead of the environment."""
    token = _ROUTES.set({**(_ROUTES.get() or {}), **routes})
    try:
        yield
    finally:
        _ROUTES.reset(token)


def service_url(override_env: str, default: str) -> str:
    """The run's routed address, else the override variable's when set, else `default`
    (the real service)."""
    routed = (_ROUTES.get() or {}).get(override_env)
    value = routed or os.environ.get(override_env, "").strip()
    return value or default


@dataclass(frozen=True, slots=True)
class Request:
    """One request to a service.

    Attributes:
        service: Shown in errors ("Serper").
        method: "GET" or "POST".
        url: The full address.
        key_env: The variable the key comes from, named when the service refuses it.
        headers: Sent as given (the key is one of them).
        json: The JSON body of a POST.
        params: The query string of a GET.
        timeout_s: Seconds for the whole request.
    """

    service: str
    method: str
    url: str
    key_env: str
    headers: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    timeout_s: float = 30.0

    def build(self, client: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        """The httpx request."""
        return client.build_request(
            self.method, self.url, headers=self.headers, json=self.json, params=self.params
        )


def exchange(request: Request) -> Any:
    """Sends `request`, blocking, and returns its JSON answer.

    Raises:
        ServiceError: The service cannot be reached, refused the key, failed, or did not
            answer JSON.
    """
    try:
        with httpx.Client(timeout=request.timeout_s, follow_redirects=True) as client:
            for attempt in range(RETRIES + 1):
                response = client.send(request.build(client))
                wait = _retry_after(response, attempt)
                if wait is None:
                    break
                time.sleep(wait)
    except httpx.HTTPError as exc:
        raise ServiceError(f"cannot reach {request.service} at {request.url}: {exc}") from exc
    return _answer(request, response)


async def aexchange(request: Request) -> Any:
    """Sends `request` without blocking the loop and returns its JSON answer.

    Raises:
        ServiceError: As `exchange`.
    """
    try:
        async with httpx.AsyncClient(
            timeout=request.timeout_s, follow_redirects=True
        ) as client:
            for attempt in range(RETRIES + 1):
                response = await client.send(request.build(client))
                wait = _retry_after(response, attempt)
                if wait is None:
                    break
                await asyncio.sleep(wait)
    except httpx.HTTPError as exc:
        raise ServiceError(f"cannot reach {request.service} at {request.url}: {exc}") from exc
    return _answer(request, response)


def _retry_after(response: httpx.Response, attempt: int) -> float | None:
    """Seconds to wait before asking again after a rate limit (429) or a server failure
    (5xx), as crewai-tools' Brave tool does: the service's `Retry-After`, else 1 s, 2 s;
    None: do not ask again."""
    if attempt >= RETRIES or not (response.status_code == 429 or response.status_code >= 500):
        return None
    try:
        return min(MAX_WAIT_S, max(0.0, float(response.headers.get("retry-after", ""))))
    except ValueError:
        return float(2**attempt)


def _answer(request: Request, response: httpx.Response) -> Any:
    if response.status_code in (401, 403):
        raise ServiceError(
            f"{request.service} refused the API key (HTTP {response.status_code}); "
            f"check {request.key_env}"
        )
    if response.is_error:
        raise ServiceError(
            f"{request.service} answered HTTP {response.status_code}: {response.text[:300]}"
        )
    try:
        return response.json()
    except ValueError as exc:
        raise ServiceError(f"{request.service} did not answer JSON: {exc}") from exc


class ServiceTool(CrewAIToolFace):
    """A tool that sends one request to a web service and shapes its answer.

    Subclasses build the request (`_request`, which also checks the key) and shape the JSON
    answer (`_result`); the blocking path uses httpx's `Client`, the async one its
    `AsyncClient`.
    """

    service: ClassVar[str] = "a web service"

    def approval_request(
        self, arguments: dict[str, Any], workspace: Path
    ) -> ApprovalRequest:
        """Every request asks first: kind "network", naming the service's address and
        what is sent to it."""
        address = self._address(arguments)
        query = arguments.get("search_query") or arguments.get("query") or ""
        sent = json.dumps(arguments, default=str, ensure_ascii=False, indent=2)
        return ApprovalRequest(
            kind="network", tool_name=self.name,
            summary=f"Send {str(query)[:80]!r} to {self.service}",
            detail=f"POST/GET {address}\n{sent}", target=address,
        )

    def _address(self, kwargs: dict[str, Any]) -> str:
        """The address a call's request goes to."""
        raise NotImplementedError

    def _request(self, kwargs: dict[str, Any]) -> Request:
        raise NotImplementedError

    def _result(self, data: Any, kwargs: dict[str, Any]) -> Any:
        return data

    def _run(self, **kwargs: Any) -> Any:
        return self._result(exchange(self._request(kwargs)), kwargs)

    async def _arun(self, **kwargs: Any) -> Any:
        # The key source may ask the keychain and `_result` may save a file: both block.
        request = await asyncio.to_thread(self._request, kwargs)
        data = await aexchange(request)
        return await asyncio.to_thread(self._result, data, kwargs)


def save_results(content: str) -> str:
    """Writes search results to `search_results_<time>.txt` in the working folder, as
    CrewAI's `save_file=True` does; returns the file name."""
    name = f"search_results_{datetime.datetime.now().strftime('%Y-%m-%d_%H-%M-%S')}.txt"
    Path(name).write_text(content, encoding="utf-8")
    return name
