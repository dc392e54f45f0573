"""Pieces shared by the two CrewAI importers: notices, field splitting and ``crewdesk.yaml``.

``crewdesk.yaml`` sits at the root of a CrewAI project that CrewDesk exported. It holds what
CrewAI's files have no place for (the crew's display name and description, streaming, named
input sets, each agent's credential name, the manager agent of a crew that is not
hierarchical now). CrewAI ignores it; an import reads it last.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from desktop_app.documents._knowledge import specs_from_crewai
from desktop_app.documents._locate import Origin, SourceMap
from desktop_app.documents._yaml import load_yaml
from desktop_app.documents.errors import CrewFileError, ImportNotice
from desktop_app.documents.model import CURRENT_SCHEMA_VERSION, InputSet

SIDECAR_NAME = "crewdesk.yaml"
"""CrewDesk's own settings beside a CrewAI project."""

KEPT = "kept but not used by CrewDesk"


class NoticeBook:
    """Collects notices so that each field is reported once, naming every place it is in."""

    def __init__(self) -> None:
        """Starts an empty book."""
        self._places: dict[tuple[Path, str, str], list[str]] = {}

    def add(self, path: Path, field: str, place: str = "", message: str = KEPT) -> None:
        """Notes ``field`` of ``path`` at ``place`` (an agent or task key)."""
        places = self._places.setdefault((path, field, message), [])
        if place and place not in places:
            places.append(place)

    def add_extras(self, path: Path, extra: Iterable[str], place: str) -> None:
        """Notes every field of ``extra`` as kept but not used."""
        for name in extra:
            self.add(path, name, place)

    def unknown_tools(
        self, path: Path, tools: Iterable[str], place: str, known: Collection[str] | None
    ) -> None:
        """Notes tools that CrewDesk does not have (when the known tools are given)."""
        if known is None:
            return
        for tool in tools:
            if tool not in known:
                self.add(path, f"tools.{tool}", place, "CrewDesk has no such tool; " + KEPT)

    def notices(self) -> tuple[ImportNotice, ...]:
        """One notice per field and file, in the order first seen."""
        return tuple(
            ImportNotice(path, field, f"{message} ({', '.join(places)})" if places else message)
            for (path, field, message), places in self._places.items()
        )


def split_fields(
    data: Mapping[str, Any], known: Collection[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Splits a mapping into the fields CrewDesk maps and the rest (kept as ``extra``)."""
    mapped = {key: value for key, value in data.items() if key in known}
    extra = {str(key): value for key, value in data.items() if key not in known}
    return mapped, extra


def expect_mapping(value: Any, source: SourceMap, loc: tuple[str | int, ...], what: str) -> dict[str, Any]:
    """Returns ``value`` if it is a mapping, else raises a problem at ``loc``."""
    if isinstance(value, dict):
        return value
    shown = "empty" if value is None else type(value).__name__
    raise source.error([(loc, f"{what} must be a mapping of fields, not {shown}")])


class SidecarAgent(BaseModel):
    """CrewDesk's settings of one agent in ``crewdesk.yaml``."""

    model_config = ConfigDict(extra="forbid")

    credential: str | None = None


class Sidecar(BaseModel):
    """The contents of ``crewdesk.yaml``."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = CURRENT_SCHEMA_VERSION
    name: str | None = None
    description: str = ""
    stream: bool | None = None
    manager_agent: str | None = None
    agents: dict[str, SidecarAgent] = Field(default_factory=dict)
    input_sets: list[InputSet] = Field(default_factory=list)


def read_sidecar(root: Path) -> Sidecar | None:
    """Reads ``crewdesk.yaml`` in ``root``, if there is one.

    Raises:
        CrewFileError: The file is there but not valid.
    """
    path = root / SIDECAR_NAME
    if not os.path.lexists(path):  # a FIFO or a link to a device is there: load_yaml refuses it
        return None
    data, index = load_yaml(path)
    source = SourceMap(Origin(path, index))
    try:
        sidecar = Sidecar.model_validate(data or {})
    except ValidationError as exc:
        raise source.validation_error(exc) from None
    if sidecar.schema_version > CURRENT_SCHEMA_VERSION:
        raise CrewFileError(
            f"schema_version {sidecar.schema_version} is newer than this CrewDesk understands",
            path=path, line=index.line_of(("schema_version",)), field="schema_version",
        )
    return sidecar


def apply_sidecar(
    doc: dict[str, Any], sidecar: Sidecar | None, root: Path, book: NoticeBook
) -> None:
    """Lays the sidecar's settings over a document mapping made from CrewAI's files."""
    if sidecar is None:
        return
    if sidecar.name:
        doc["name"] = sidecar.name
    if sidecar.description:
        doc["description"] = sidecar.description
    if sidecar.stream is not None:
        doc.setdefault("settings", {})["stream"] = sidecar.stream
    if sidecar.manager_agent is not None:
        doc.setdefault("settings", {})["manager_agent"] = sidecar.manager_agent
    if sidecar.input_sets:
        doc["input_sets"] = [item.model_dump() for item in sidecar.input_sets]
    agents = {agent["key"]: agent for agent in doc.get("agents", [])}
    for key, settings in sidecar.agents.items():
        if key not in agents:
            book.add(root / SIDECAR_NAME, f"agents.{key}", message="no such agent; ignored")
        elif settings.credential is not None:
            agents[key]["credential"] = settings.credential


LLM_OPTIONS_USED = frozenset({"temperature", "max_tokens", "timeout"})
"""LLM settings that CrewDesk passes on to the engine."""

_SECRET_OPTIONS = frozenset({"api_key", "key", "token"})


def llm_fields(
    value: Mapping[str, Any], path: Path, place: str, book: NoticeBook
) -> dict[str, Any]:
    """Maps an LLM given as settings (``{"model": ..., "base_url": ...}``) to agent fields.

    ``provider`` joins the model as ``provider/model``; an API key is never taken into the
    document (CrewDesk keeps keys in the secret store) and is reported instead.
    """
    options = {str(key): item for key, item in value.items()}
    fields: dict[str, Any] = {}
    model = options.pop("model", None)
    provider = options.get("provider")
    if isinstance(model, str) and isinstance(provider, str) and "/" not in model:
        options.pop("provider")
        model = f"{provider}/{model}"
    fields["llm"] = model
    base_url = options.pop("base_url", None) or options.pop("api_base", None)
    if base_url is not None:
        fields["base_url"] = base_url
    for name in sorted(_SECRET_OPTIONS & set(options)):
        options.pop(name)
        book.add(path, f"llm.{name}", place, "a key in a project file is not imported; "
                 "store it as a CrewDesk credential")
    for name in options:
        if name not in LLM_OPTIONS_USED:
            book.add(path, f"llm.{name}", place)
    if options:
        fields["llm_options"] = options
    return fields


def manager_model(value: Any, path: Path, book: NoticeBook) -> str | None:
    """A crew's ``manager_llm`` as the model string CrewDesk keeps.

    A string is kept as it is; LLM settings give their model (``provider`` joined as for an
    agent), and any other setting is reported by name: a manager that needs an endpoint or
    options is written as a manager agent. Anything else is reported and left out.
    """
    if isinstance(value, str):
        return value
    model = value.get("model") if isinstance(value, dict) else None
    if not isinstance(model, str):
        book.add(path, "manager_llm", "crew", "not a model name; not imported")
        return None
    provider = value.get("provider")
    if isinstance(provider, str) and "/" not in model:
        model = f"{provider}/{model}"
    rest = sorted(str(key) for key in value if key not in ("model", "provider"))
    if rest:
        book.add(path, "manager_llm", "crew", f"only its model is imported, not {', '.join(rest)}; "
                 "for those, make the manager an agent (manager_agent)")
    return model


def embedder_setting(value: Any, path: Path, place: str, book: NoticeBook) -> dict[str, Any] | None:
    """A crew's ``embedder`` as the document keeps it: CrewAI's mapping without its key.

    A key is never taken into the document (it is reported, as an LLM's is); an embedder that
    is not a mapping, or names no model, is reported and left out.
    """
    if not isinstance(value, dict):
        book.add(path, "embedder", place, "not a mapping of settings; not imported")
        return None
    embedder = {str(key): item for key, item in value.items() if key not in _SECRET_OPTIONS}
    config = embedder.get("config")
    if isinstance(config, dict):
        embedder["config"] = {str(k): v for k, v in config.items() if k not in _SECRET_OPTIONS}
    secrets = sorted(_SECRET_OPTIONS & (set(value) | set(config if isinstance(config, dict)
                                                          else ())))
    for name in secrets:
        book.add(path, f"embedder.{name}", place, "a key in a project file is not imported; "
                 "store it as a CrewDesk credential")
    if not isinstance(config, dict) or not (config.get("model") or config.get("model_name")):
        book.add(path, "embedder", place, "names no model (config: {model: ...}); not imported")
        return None
    return embedder


def knowledge_setting(
    calls: list[tuple[str, dict[str, Any]]], path: Path, place: str, book: NoticeBook
) -> list[dict[str, Any]]:
    """Knowledge source calls of a ``crew.py`` as document specs; others are reported."""
    specs: list[dict[str, Any]] = []
    for class_name, options in calls:
        found = specs_from_crewai(class_name, options)
        if found is None:
            book.add(path, f"knowledge_sources.{class_name}", place,
                     "not a knowledge source CrewDesk reads; not imported")
            continue
        specs += found[0]
        for name in found[1]:
            book.add(path, f"knowledge_sources.{class_name}.{name}", place, "not imported")
    return specs
