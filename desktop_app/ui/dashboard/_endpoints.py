"""Showing the addresses a crew file sends its prompts and keys to, before its first run.

A crew file may name a ``base_url`` for an agent (or its embedder): the run then sends that
agent's prompts, and the key of its model's provider from the keychain, to that address. A
crew opened from a file (imported, received, a CrewAI project) is not the user's own work, so
before its first run the dashboard names each address and who uses it ("prompts and keys of
this crew go to ..."), with Run / Cancel. The answer is kept per crew id in the settings
(`Settings.confirmed_endpoints`): the question comes back only for an address not yet
allowed. The designer records the addresses the user typed in it as allowed when it saves
(`remember_typed_endpoints`): a crew made there does not ask about its own addresses.

The question is a window-modal box opened with ``open()`` and awaited through a future,
never a nested ``exec()`` (see FIELD-NOTES.md).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from desktop_app.documents.model import CrewDocument
from desktop_app.storage.settings import Settings
from desktop_app.ui.widgets.ask import finished

if TYPE_CHECKING:
    from desktop_app.ui.services import AppServices
    from desktop_app.ui.widgets.protocols import ServicesLike

__all__ = [
    "ask_endpoints",
    "endpoints_allowed",
    "named_endpoints",
    "new_endpoints",
    "remember_typed_endpoints",
    "with_endpoints_allowed",
]

_URL_KEYS = ("base_url", "api_base", "url")


def named_endpoints(document: CrewDocument) -> dict[str, list[str]]:
    """Every address the document names, with who uses it ("Agent 'Researcher'",
    "the embedder"), in the document's order."""
    found: dict[str, list[str]] = {}
    for agent in document.agents:
        if agent.base_url:
            found.setdefault(agent.base_url, []).append(f"agent “{agent.role}”")
    embedder = document.settings.embedder or {}
    config = embedder.get("config")
    if isinstance(config, dict):
        for key in _URL_KEYS:
            value = config.get(key)
            if isinstance(value, str) and value:
                found.setdefault(value, []).append("the embedder")
    return found


def new_endpoints(
    settings: Settings, crew_id: str | None, document: CrewDocument
) -> dict[str, list[str]]:
    """The document's addresses the user has not allowed yet for this crew."""
    allowed = set(settings.confirmed_endpoints.get(crew_id or "", ()))
    return {url: who for url, who in named_endpoints(document).items() if url not in allowed}


def with_endpoints_allowed(settings: Settings, crew_id: str, urls: list[str]) -> Settings:
    """A copy of the settings in which `urls` are allowed for the crew."""
    updated = settings.model_copy(deep=True)
    known = updated.confirmed_endpoints.get(crew_id, [])
    updated.confirmed_endpoints[crew_id] = [*known, *(u for u in urls if u not in known)]
    return updated


def _text(name: str, endpoints: dict[str, list[str]]) -> str:
    items = "".join(
        f"<li><code>{escape(url)}</code> — {escape(', '.join(who))}</li>"
        for url, who in endpoints.items()
    )
    return (
        f"<p><b>Prompts and keys of “{escape(name)}” go to:</b></p><ul>{items}</ul>"
        "<p>The crew's file names these addresses. Its runs send the prompts, inputs and "
        "knowledge of those agents there, with the key of their model's provider from your "
        "keychain. Run it only if you trust these addresses.</p>"
    )


async def ask_endpoints(
    parent: QWidget | None, name: str, endpoints: dict[str, list[str]]
) -> bool:
    """Names the addresses and asks whether the crew may run (no nested event loop).

    Returns:
        True for Run; False for Cancel (also when the box was closed).
    """
    box = QMessageBox(QMessageBox.Icon.Warning, "Where this crew's prompts and keys go",
                      _text(name, endpoints), QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("endpointsBox")
    run = box.addButton("Run", QMessageBox.ButtonRole.AcceptRole)
    run.setObjectName("endpointsRun")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    await finished(box)
    return cast(QAbstractButton | None, box.clickedButton()) is run  # None when closed


async def endpoints_allowed(
    parent: QWidget | None, services: AppServices, runs: list[tuple[str | None, CrewDocument]]
) -> bool:
    """Before real runs: asks about each crew's addresses not yet allowed (one question per
    crew) and keeps the answer per crew id.

    Returns:
        True when every crew may run; False at the first Cancel.
    """
    asked: set[str | None] = set()
    for crew_id, document in runs:
        endpoints = new_endpoints(services.current_settings, crew_id, document)
        if not endpoints or crew_id in asked:
            continue
        asked.add(crew_id)
        if not await ask_endpoints(parent, document.name, endpoints):
            return False
        if crew_id is not None:
            await services.save_settings(
                with_endpoints_allowed(services.current_settings, crew_id, list(endpoints)))
    return True


async def remember_typed_endpoints(
    services: ServicesLike, crew_id: str, before: CrewDocument, after: CrewDocument
) -> None:
    """Allows for `crew_id` the addresses `after` names that `before` (the crew as it was
    opened in the designer) did not: the user typed them, so its runs do not ask."""
    typed = [url for url in named_endpoints(after) if url not in named_endpoints(before)]
    if not typed:
        return
    loaded = await services.settings.aload()
    await services.save_settings(with_endpoints_allowed(loaded.settings, crew_id, typed))
