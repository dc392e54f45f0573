"""Search and scrape endpoints for web tools, in the shapes of the real services.

They live on the simulator's root URL, outside ``/v1``, so a tool whose endpoint can be
changed (``CREWDESK_SERPER_URL=<root_url>/serper/search`` ...) dry-runs offline:

=========================================  ==========================  ======================
endpoint                                   key (else 401)              answer
=========================================  ==========================  ======================
``POST /serper/search`` ``{"q", "num"}``   ``X-API-KEY`` header        ``searchParameters``,
                                                                       ``knowledgeGraph``,
                                                                       ``organic: [{title,
                                                                       link, snippet,
                                                                       position}]``,
                                                                       ``peopleAlsoAsk``,
                                                                       ``relatedSearches``,
                                                                       ``credits``
``POST /serper/news`` (same body)          ``X-API-KEY`` header        ``news: [{title, link,
                                                                       snippet, date, source,
                                                                       imageUrl, position}]``
``POST /tavily/search``                    ``Authorization: Bearer``   ``query``, ``answer``,
``{"query", "max_results",                 or ``api_key`` in the body  ``images``,
"include_answer", "include_raw_content"}``                             ``results: [{title,
                                                                       url, content, score,
                                                                       raw_content}]``
``POST /exa/search`` ``{"query",           ``x-api-key`` header        ``results: [{id, title,
"numResults", "contents": {"text"}}``                                  url, score, text?}]``
``GET /brave/res/v1/web/search?q=&count=`` ``X-Subscription-Token``    ``web: {results:
                                                                       [{title, url,
                                                                       description}]}``
``GET /web/<any path>``                    none                        a small HTML page
=========================================  ==========================  ======================

Results are the same for the same query (see `_search_results`); their links point at the
simulator's own ``/web/`` pages. The number of results follows ``num`` / ``max_results`` /
``numResults`` / ``count`` (at most 20; defaults 10, 5, 10 and 20, as the services). A
missing query is a 400 (422 for Brave), a wrong method a 405, an unknown path a 404, each
in the service's error shape. Every request to these endpoints, answered or refused, is
counted in ``SimulatorStats.tool_requests`` and its body (or query parameters) recorded in
``SimulatorStats.requests`` (without a Tavily ``api_key``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from desktop_app.simulator import _search_results as found
from desktop_app.simulator._http import Request
from desktop_app.simulator._stats import TOOL_SERVICES

JsonObject = dict[str, Any]

SERVICES = TOOL_SERVICES
"""The services, as ``SimulatorStats.tool_requests`` names them."""

MAX_RESULTS = 20


@dataclass(frozen=True, slots=True)
class ToolApiAnswer:
    """A response of a tool endpoint.

    Attributes:
        status: The HTTP status.
        content_type: ``application/json`` or ``text/html; charset=utf-8``.
        body: The encoded body.
        recorded: What ``SimulatorStats.requests`` keeps as the request's body.
    """

    status: int
    content_type: str
    body: bytes
    recorded: JsonObject


class _Refused(Exception):
    """A request answered with the service's error shape."""

    def __init__(self, status: int, payload: object) -> None:
        super().__init__(status)
        self.status = status
        self.payload = payload


def service_of(path: str) -> str | None:
    """The service a path belongs to (``serper``... ``web``), or None for the rest."""
    return next((s for s in SERVICES if path == f"/{s}" or path.startswith(f"/{s}/")), None)


def answer(request: Request, root_url: str) -> ToolApiAnswer:
    """Answer a request to a tool endpoint (``service_of(request.path)`` is not None).

    Args:
        request: The parsed request.
        root_url: The simulator's root URL, for the links in results.
    """
    service = service_of(request.path)
    recorded = _recorded(request)
    if service == "web":
        return _web(request, recorded)
    route = _ROUTES.get(request.path)
    try:
        if route is None:
            raise _Refused(404, _error(service, 404, f"Unknown URL {request.path}."))
        method, handler = route
        if request.method != method:
            raise _Refused(405, _error(service, 405, f"Use {method} for {request.path}."))
        if "invalid_json" in recorded:
            raise _Refused(400, _error(service, 400, "The request body is not valid JSON."))
        payload: object = handler(request, recorded, root_url)
        status = 200
    except _Refused as refused:
        status, payload = refused.status, refused.payload
    return ToolApiAnswer(status, "application/json", json.dumps(payload).encode(), recorded)


def _recorded(request: Request) -> JsonObject:
    """The JSON body (or the query parameters of a GET), without an ``api_key``."""
    if request.method == "GET":
        return dict(parse_qsl(request.query, keep_blank_values=True))
    try:
        body = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"invalid_json": request.body.decode("utf-8", "replace")[:1000]}
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k != "api_key"}
    return {"batch": body}


def _web(request: Request, recorded: JsonObject) -> ToolApiAnswer:
    if request.method != "GET":
        body = b"Method not allowed: use GET for /web/ pages.\n"
        return ToolApiAnswer(405, "text/plain; charset=utf-8", body, recorded)
    page = found.web_page(request.path.removeprefix("/web").lstrip("/"), request.query)
    return ToolApiAnswer(200, "text/html; charset=utf-8", page.encode(), recorded)


def _error(service: str | None, status: int, message: str) -> object:
    """An error body in the service's own shape."""
    if service == "tavily":
        return {"detail": {"error": message}}
    if service == "exa":
        return {"requestId": "sim", "error": message}
    if service == "brave":
        code = {401: "SUBSCRIPTION_TOKEN_INVALID", 422: "VALIDATION"}.get(status, "ERROR")
        return {"type": "ErrorResponse",
                "error": {"id": "sim", "status": status, "code": code, "detail": message}}
    return {"message": message, "statusCode": status}


def _count(value: object, default: int) -> int:
    number = value if isinstance(value, int) and not isinstance(value, bool) else default
    if isinstance(value, str) and value.isdigit():
        number = int(value)
    return max(1, min(MAX_RESULTS, number))


def _query(body: JsonObject, key: str, service: str, status: int = 400) -> str:
    query = body.get(key)
    if not isinstance(query, str) or not query.strip():
        raise _Refused(status, _error(service, status, f"Missing query parameter '{key}'."))
    return query


def _serper(request: Request, body: JsonObject, root_url: str) -> object:
    """``POST /serper/search`` and ``/serper/news``; a JSON array body is a batch."""
    if not request.headers.get("x-api-key", "").strip():
        raise _Refused(401, _error("serper", 401, "Unauthorized: send your key in the "
                                   "X-API-KEY header."))
    kind = request.path.rsplit("/", 1)[-1]
    if isinstance(body.get("batch"), list):
        return [_serper_one(q if isinstance(q, dict) else {}, kind, root_url)
                for q in body["batch"]]
    return _serper_one(body, kind, root_url)


def _serper_one(body: JsonObject, kind: str, root_url: str) -> JsonObject:
    query = _query(body, "q", "serper")
    number = _count(body.get("num"), 10)
    hits = found.hits(query, number, root_url)
    parameters: JsonObject = {"q": query, "type": kind, "num": number, "engine": "google",
                  **{k: body[k] for k in ("gl", "hl", "location") if k in body}}
    if kind == "news":
        news = [{"title": h.title, "link": h.url, "snippet": h.snippet, "date": "1 day ago",
                 "source": "Simulated News", "imageUrl": "", "position": h.position}
                for h in hits]
        return {"searchParameters": parameters, "news": news, "credits": 1}
    top = hits[0]
    return {
        "searchParameters": parameters,
        "knowledgeGraph": {"title": query, "type": "Topic", "website": top.url,
                           "description": top.snippet, "descriptionSource": "Simulator",
                           "descriptionLink": top.url, "attributes": {}},
        "organic": [{"title": h.title, "link": h.url, "snippet": h.snippet,
                     "position": h.position} for h in hits],
        "peopleAlsoAsk": [{"question": f"What is {query}?", "snippet": top.snippet,
                           "title": top.title, "link": top.url}],
        "relatedSearches": [{"query": f"{query} explained"}, {"query": f"{query} news"}],
        "credits": 1,
    }


def _tavily(request: Request, body: JsonObject, root_url: str) -> JsonObject:
    """``POST /tavily/search``."""
    bearer = request.headers.get("authorization", "").removeprefix("Bearer").strip()
    raw = json.loads(request.body or b"{}") if "invalid_json" not in body else {}
    key = raw.get("api_key") if isinstance(raw, dict) else None
    if not bearer and not (isinstance(key, str) and key.strip()):
        raise _Refused(401, _error("tavily", 401, "Unauthorized: missing or invalid API key "
                                   "(send Authorization: Bearer <key>)."))
    query = _query(body, "query", "tavily")
    hits = found.hits(query, _count(body.get("max_results"), 5), root_url)
    raw_content = body.get("include_raw_content") not in (None, False)
    results = [{"title": h.title, "url": h.url, "content": h.snippet, "score": h.score,
                "raw_content": found.page_text(h) if raw_content else None} for h in hits]
    wants_answer = body.get("include_answer") not in (None, False)
    return {"query": query, "follow_up_questions": None,
            "answer": f"In short: {hits[0].snippet}" if wants_answer else None,
            "images": [], "results": results, "response_time": 0.01, "request_id": "sim"}


def _exa(request: Request, body: JsonObject, root_url: str) -> JsonObject:
    """``POST /exa/search``; ``contents.text`` (or a top-level ``text``) adds page text."""
    if not request.headers.get("x-api-key", "").strip():
        raise _Refused(401, _error("exa", 401, "Invalid API key: send it in the x-api-key "
                                   "header."))
    query = _query(body, "query", "exa")
    hits = found.hits(query, _count(body.get("numResults"), 10), root_url)
    contents = body.get("contents")
    wants = contents if isinstance(contents, dict) else body
    results = []
    for hit in hits:
        result: JsonObject = {"id": hit.url, "title": hit.title, "url": hit.url,
                              "publishedDate": "2025-01-15T00:00:00.000Z",
                              "author": "Simulator", "score": hit.score}
        if wants.get("text") not in (None, False):
            result["text"] = found.page_text(hit)
        if wants.get("highlights") not in (None, False):
            result["highlights"], result["highlightScores"] = [hit.snippet], [hit.score]
        if wants.get("summary") not in (None, False):
            result["summary"] = hit.snippet
        results.append(result)
    search_type = body.get("type") if isinstance(body.get("type"), str) else "auto"
    return {"requestId": "sim", "resolvedSearchType": "neural", "searchType": search_type,
            "results": results, "costDollars": {"total": 0.005}}


def _brave(request: Request, params: JsonObject, root_url: str) -> JsonObject:
    """``GET /brave/res/v1/web/search?q=...&count=...``."""
    if not request.headers.get("x-subscription-token", "").strip():
        raise _Refused(401, _error("brave", 401, "The subscription token is missing: send "
                                   "it in the X-Subscription-Token header."))
    query = _query(params, "q", "brave", 422)
    hits = found.hits(query, _count(params.get("count"), 20), root_url)
    results = [{"type": "search_result", "title": h.title, "url": h.url,
                "description": h.snippet, "is_source_local": False, "language": "en",
                "meta_url": {"scheme": "http", "hostname": "127.0.0.1", "path": h.url}}
               for h in hits]
    return {"type": "search",
            "query": {"original": query, "more_results_available": False},
            "web": {"type": "search", "results": results, "family_friendly": True}}


_ROUTES: dict[str, tuple[str, Callable[[Request, JsonObject, str], object]]] = {
    "/serper/search": ("POST", _serper),
    "/serper/news": ("POST", _serper),
    "/tavily/search": ("POST", _tavily),
    "/exa/search": ("POST", _exa),
    "/brave/res/v1/web/search": ("GET", _brave),
}
