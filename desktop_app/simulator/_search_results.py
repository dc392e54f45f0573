"""Made-up web search results and web pages, deterministic from the query text.

Every provider's answer is built from the same hits: hit ``i`` (from 1) of a query has a
title that quotes the query, a snippet of two sentences about the query picked by a hash
of the query and ``i``, and a link to the simulator's own ``/web/`` pages
(``<root>/web/<query-slug>/result-<i>``), so a crew that searches, then scrapes a link it
found, stays on the simulator. A page names its path in its title, headings and paragraphs.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]

_TITLES = (
    "{Q} - Overview",
    "{Q}: a practical guide",
    "What to know about {q}",
    "{Q} explained",
    "Latest news on {q}",
    "{Q}: facts and figures",
    "A short history of {q}",
    "{Q} - frequently asked questions",
    "Experts weigh in on {q}",
    "{Q}: what changed this year",
)
_SENTENCES = (
    "Recent surveys show steady interest in {q} across several regions",
    "Analysts expect {q} to change further over the next year",
    "Experts recommend careful planning and regular reviews when dealing with {q}",
    "Official figures on {q} were updated this quarter",
    "Costs linked to {q} fell slightly while demand kept growing",
    "Several teams have published new findings about {q}",
    "Most readers ask how {q} compares with the alternatives",
    "A step by step overview of {q} helps newcomers get started",
)
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result, before a provider's shape is put on it.

    Attributes:
        position: Its rank, from 1.
        title: The page title.
        url: The page address (on the simulator's ``/web/``).
        snippet: A sentence or two about the page.
        score: Relevance in 0..1, falling with the rank.
    """

    position: int
    title: str
    url: str
    snippet: str
    score: float


def slug_of(text: str) -> str:
    """A URL path segment made of the text's lower-cased words."""
    return _SLUG.sub("-", text.lower()).strip("-")[:60] or "page"


def hits(query: str, count: int, root_url: str) -> list[Hit]:
    """The first ``count`` hits of a query (the same ones for the same query, every time)."""
    clean = " ".join(query.split())
    capital = clean[:1].upper() + clean[1:]
    result = []
    for position in range(1, count + 1):
        template = _TITLES[(position - 1) % len(_TITLES)]
        title = template.format(Q=capital, q=clean)
        if position > len(_TITLES):
            title += f" (part {(position - 1) // len(_TITLES) + 1})"
        url = f"{root_url}/web/{slug_of(clean)}/result-{position}"
        snippet = f"{_sentence(clean, position)}."
        result.append(Hit(position, title, url, snippet, round(0.98 - 0.04 * position, 2)))
    return result


def _sentence(query: str, position: int) -> str:
    """Two sentences about the query, picked by a hash of the query and ``position``."""
    digest = hashlib.sha256(f"{position}:{query}".encode()).digest()
    first = _SENTENCES[digest[0] % len(_SENTENCES)]
    second = _SENTENCES[(digest[0] + 1 + digest[1] % (len(_SENTENCES) - 1)) % len(_SENTENCES)]
    return f"{first.format(q=query)}. {second.format(q=query)}"


def page_text(hit: Hit) -> str:
    """A longer text for a hit, as a search API returns as page content."""
    return f"{hit.title}. {hit.snippet} {_sentence(hit.title, hit.position + 100)}."


def web_page(path: str, query: str) -> str:
    """A small HTML page for ``/web/<path>``: title, headings, paragraphs naming the path,
    and two links to deeper pages.

    Args:
        path: The part after ``/web/`` (may be empty).
        query: The request's query string, quoted on the page when there is one.
    """
    words = " ".join(w for w in re.split(r"[/_\-.]+", path) if w) or "home"
    name = html.escape(words[:1].upper() + words[1:])
    shown = html.escape("/web/" + path + (f"?{query}" if query else ""))
    base = "/web/" + (path.rstrip("/") + "/" if path.strip("/") else "")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
        f"<title>{name} - CrewDesk simulator</title></head>\n<body>\n"
        f"<h1>{name}</h1>\n"
        f"<p>This page at {shown} is about {name}. It is served by the CrewDesk simulator "
        "for dry runs of scraping tools.</p>\n"
        f"<h2>Key facts about {name}</h2>\n"
        f"<p>{html.escape(_sentence(words, 1))}.</p>\n"
        f"<ul><li>{name} fact one</li><li>{name} fact two</li></ul>\n"
        f"<h2>More on {name}</h2>\n"
        f"<p>{html.escape(_sentence(words, 2))}.</p>\n"
        f"<p><a href=\"{html.escape(base)}details\">Details of {name}</a> | "
        f"<a href=\"{html.escape(base)}sources\">Sources for {name}</a></p>\n"
        "</body>\n</html>\n"
    )
