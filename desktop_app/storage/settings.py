"""The user's settings: providers, defaults and window state, in one versioned JSON file.

`Settings` holds no API key: a provider names a keychain entry (`credential_name`) and the
secret store (`desktop_app.storage.secrets`) keeps the key itself. Fields that are not part of
the model (an `api_key` typed into the file by hand, say) are dropped on load and never written
back.

`SettingsStore` reads and writes the file. Saving is atomic (a temporary file in the same folder,
then `os.replace`), so a crash mid-save leaves the old file whole. A file that cannot be read is
copied to `settings.json.bad` and the defaults are used, with a warning for the user. Files of an
older `schema_version` are migrated on load through `MIGRATIONS`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from desktop_app.storage.paths import AppPaths, ensure_dir

if TYPE_CHECKING:
    from desktop_app.engine.mcp import McpServerSpec

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "LoadedSettings",
    "ProviderKind",
    "ProviderSettings",
    "RunMode",
    "Settings",
    "SettingsMigrationError",
    "SettingsStore",
    "migrate_settings",
]

SCHEMA_VERSION = 1
"""The settings layout this code writes."""

MAX_RECENT_FILES = 10

ProviderKind: TypeAlias = Literal[
    "openai",
    "anthropic",
    "gemini",
    "groq",
    "ollama",
    "lm_studio",
    "openai_compatible",
    "simulator",
]
"""The kinds of LLM provider CrewDesk knows how to configure."""

RunMode: TypeAlias = Literal["akickoff", "kickoff_async"]
"""How a crew is started: the native async `akickoff`, or `kickoff_async` (a worker thread)."""

Migration: TypeAlias = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the raw JSON object of version N into that of version N + 1."""


def _from_unversioned(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 is a file written before settings carried a version: same layout as 1."""
    return data


MIGRATIONS: Mapping[int, Migration] = {0: _from_unversioned}
"""Step from version N (the key) to N + 1. Add one entry for each new `SCHEMA_VERSION`."""


class SettingsMigrationError(ValueError):
    """A settings file could not be brought to the current schema version."""


def migrate_settings(
    data: dict[str, Any],
    *,
    migrations: Mapping[int, Migration] = MIGRATIONS,
    target: int = SCHEMA_VERSION,
) -> dict[str, Any]:
    """Brings a raw settings object up to `target`, one step at a time.

    A file without `schema_version` counts as version 0. A file newer than `target` is
    returned unchanged (the caller decides what to do with it).

    Args:
        data: The JSON object read from the file.
        migrations: Steps by starting version.
        target: The version to reach.

    Returns:
        The migrated object, with `schema_version` set.

    Raises:
        SettingsMigrationError: When the version is not an integer or a step is missing.
    """
    version = data.get("schema_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise SettingsMigrationError(f"schema_version is not a version number: {version!r}")
    while version < target:
        step = migrations.get(version)
        if step is None:
            raise SettingsMigrationError(f"no migration from settings version {version}")
        data = step(dict(data))
        version += 1
        data["schema_version"] = version
    return data


class ProviderSettings(BaseModel):
    """One configured LLM provider. Holds the name of its keychain entry, never the key.

    Attributes:
        id: Stable identifier that crews and settings refer to.
        kind: Which provider this is.
        display_name: What the user sees.
        base_url: Endpoint for local or OpenAI-compatible servers; None for the provider's own.
        default_model: The model used when a crew names none.
        credential_name: Name of the keychain entry holding the key; None when none is needed.
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1)
    kind: ProviderKind
    display_name: str = ""
    base_url: str | None = None
    default_model: str = ""
    credential_name: str | None = None


MCP_KEY_PREFIX = "mcp:"
"""An MCP server's key is kept in the keychain as ``mcp:<server name>``."""


class McpServer(BaseModel):
    """One MCP server the user set up (Settings › MCP servers). Holds no key: its key, if
    any, is in the keychain under ``mcp:<name>`` (`keychain_name`).

    Attributes:
        name: Unique name; crews name its tools ``mcp:<name>/<tool>``.
        transport: "stdio" (a local command, run inside the sandbox) or "http"
            (streamable HTTP).
        command: The program and its arguments (stdio).
        url: The endpoint (http).
        key_name: Where the key goes: the environment variable of a stdio server, or the
            HTTP header of an http one (``Authorization`` gets ``Bearer <key>``); None when
            the server needs no key.
        network: A stdio server may reach the network (off: it cannot).
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    transport: Literal["stdio", "http"] = "stdio"
    command: list[str] = Field(default_factory=list)
    url: str = ""
    key_name: str | None = None
    network: bool = False

    @property
    def keychain_name(self) -> str:
        """The keychain entry of its key."""
        return f"{MCP_KEY_PREFIX}{self.name}"

    def spec(self, key: str | None = None) -> McpServerSpec:
        """What the engine connects to, with the key (from the keychain) put in place.

        Raises:
            ValueError: The entry is incomplete (no command, or no http(s) URL); names it.
        """
        from desktop_app.engine.mcp import McpServerSpec

        env: dict[str, str] = {}
        headers: dict[str, str] = {}
        if key and self.key_name:
            if self.transport == "stdio":
                env[self.key_name] = key
            else:
                bearer = self.key_name.lower() == "authorization" and " " not in key
                headers[self.key_name] = f"Bearer {key}" if bearer else key
        return McpServerSpec(
            name=self.name, transport=self.transport, command=tuple(self.command),
            url=self.url, env=env, headers=headers, network=self.network,
        )


class Settings(BaseModel):
    """Everything the user sets up once. Saved as JSON by `SettingsStore`.

    Attributes:
        schema_version: Layout version of the file (see `MIGRATIONS`).
        providers: Configured LLM providers, in the order the user sees them.
        default_provider: Id of the provider used when a crew names none.
        concurrency_limit: How many runs may call models at once.
        default_run_mode: The run mode preselected in the dashboard.
        recent_files: Crew files opened lately, most recent first.
        window_state: The main window's saved state (Qt bytes) as base64; see `window_state_bytes`.
        project_trust: CrewAI project folders the user was asked about: True when their
            code may run (opened trusted), False when they open without running code.
        crew_approvals: A crew's approval policy ("ask", "always", "never") by crew id,
            where the crew's own file cannot keep it (a CrewAI project, a bundled example):
            the dashboard's "Always" for such a crew is kept here and wins over its document.
        confirmed_endpoints: The ``base_url`` addresses, by crew id, that the user allowed
            before the first run of a crew that names them (an opened or received file).
        mcp_servers: The MCP servers whose tools crews may use, by unique name.
        splitter_states: The window's splitters' positions (Qt bytes as base64), by the
            splitter's object name.
        theme: The colours: ``system`` (follow the system), ``light`` or ``dark``.
    """

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    schema_version: int = SCHEMA_VERSION
    providers: list[ProviderSettings] = Field(default_factory=list)
    default_provider: str | None = None
    concurrency_limit: int = Field(default=8, ge=1, le=1000)
    default_run_mode: RunMode = "akickoff"
    recent_files: list[str] = Field(default_factory=list)
    window_state: str | None = None
    project_trust: dict[str, bool] = Field(default_factory=dict)
    crew_approvals: dict[str, Literal["ask", "always", "never"]] = Field(default_factory=dict)
    confirmed_endpoints: dict[str, list[str]] = Field(default_factory=dict)
    mcp_servers: list[McpServer] = Field(default_factory=list)
    splitter_states: dict[str, str] = Field(default_factory=dict)
    theme: Literal["system", "light", "dark"] = "system"

    @field_validator("providers")
    @classmethod
    def _unique_ids(cls, providers: list[ProviderSettings]) -> list[ProviderSettings]:
        ids = [p.id for p in providers]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"provider ids must be unique: {', '.join(duplicates)}")
        return providers

    @field_validator("mcp_servers")
    @classmethod
    def _unique_server_names(cls, servers: list[McpServer]) -> list[McpServer]:
        names = [s.name for s in servers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"MCP server names must be unique: {', '.join(duplicates)}")
        return servers

    def mcp_server(self, name: str) -> McpServer | None:
        """Returns the MCP server with this name, or None."""
        return next((s for s in self.mcp_servers if s.name == name), None)

    @field_validator("window_state")
    @classmethod
    def _valid_base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError("window_state is not base64") from exc
        return value

    @model_validator(mode="after")
    def _known_default_provider(self) -> Settings:
        if self.default_provider is not None and self.provider(self.default_provider) is None:
            # A dangling reference (provider removed by hand): forget it rather than fail.
            object.__setattr__(self, "default_provider", None)
        return self

    def provider(self, provider_id: str) -> ProviderSettings | None:
        """Returns the provider with this id, or None."""
        return next((p for p in self.providers if p.id == provider_id), None)

    def window_state_bytes(self) -> bytes | None:
        """Returns the saved window state as bytes (for `QMainWindow.restoreState`)."""
        return None if self.window_state is None else base64.b64decode(self.window_state)

    def set_window_state(self, state: bytes | None) -> None:
        """Stores the window state bytes (from `QMainWindow.saveState`) as base64."""
        self.window_state = None if state is None else base64.b64encode(state).decode("ascii")

    def add_recent_file(self, path: str | Path) -> None:
        """Puts `path` first in the recent files, without duplicates, keeping at most 10."""
        entry = str(path)
        rest = [p for p in self.recent_files if p != entry]
        self.recent_files = [entry, *rest][:MAX_RECENT_FILES]


class LoadedSettings(NamedTuple):
    """What `SettingsStore.load` returns.

    Attributes:
        settings: The settings to use (the defaults when the file was unusable).
        warning: A sentence for the user when something went wrong; None otherwise.
    """

    settings: Settings
    warning: str | None


class SettingsStore:
    """Loads and saves `Settings` as JSON under `paths.config_dir`.

    Blocking file work: from the GUI thread use `aload` / `asave`.
    """

    def __init__(self, paths: AppPaths) -> None:
        """Creates a store for the settings file of `paths`.

        Args:
            paths: The folders of this installation.
        """
        self._path = paths.settings_file

    @property
    def path(self) -> Path:
        """The settings file."""
        return self._path

    @property
    def bad_path(self) -> Path:
        """Where a copy of an unreadable settings file is kept."""
        return self._path.with_name(self._path.name + ".bad")

    def load(self) -> LoadedSettings:
        """Reads the settings, migrating older files; never raises for a bad file.

        Returns:
            The settings, and a warning when the file was unusable (its copy is then kept at
            `bad_path`) or written by a newer CrewDesk.
        """
        try:
            text = self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return LoadedSettings(Settings(), None)
        except (OSError, UnicodeDecodeError) as exc:
            return self._recover(f"could not be read ({exc})")
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("the file does not hold a JSON object")
            data = migrate_settings(data)
            settings = Settings.model_validate(data)
        except (ValueError, TypeError, ValidationError) as exc:
            return self._recover(_first_line(exc))
        if settings.schema_version > SCHEMA_VERSION:
            return self._from_newer(settings)
        return LoadedSettings(settings, None)

    def save(self, settings: Settings) -> None:
        """Writes the settings atomically: a temporary file, flushed, then renamed over.

        Args:
            settings: What to save.
        """
        payload = settings.model_dump_json(indent=2) + "\n"
        _atomic_write_text(self._path, payload)

    async def aload(self) -> LoadedSettings:
        """`load` in a worker thread, for callers on the event loop."""
        return await asyncio.to_thread(self.load)

    async def asave(self, settings: Settings) -> None:
        """`save` in a worker thread, for callers on the event loop."""
        await asyncio.to_thread(self.save, settings)

    def _from_newer(self, settings: Settings) -> LoadedSettings:
        """Uses a file from a newer CrewDesk as far as it is understood, keeping a copy."""
        copy = self._path.with_name(f"{self._path.name}.v{settings.schema_version}")
        kept = ""
        with contextlib.suppress(OSError):
            if not copy.exists():
                shutil.copy2(self._path, copy)
            kept = f" The original is kept at {copy}."
        warning = (
            f"The settings file {self._path} was written by a newer CrewDesk (version "
            f"{settings.schema_version}); settings this version does not know are ignored.{kept}"
        )
        current = settings.model_copy(update={"schema_version": SCHEMA_VERSION})
        return LoadedSettings(current, warning)

    def _recover(self, reason: str) -> LoadedSettings:
        kept = ""
        with contextlib.suppress(OSError):
            shutil.copy2(self._path, self.bad_path)
            kept = f" A copy was kept at {self.bad_path}."
        warning = (
            f"The settings file {self._path} is damaged ({reason}); default settings are used "
            f"until you save new ones.{kept}"
        )
        return LoadedSettings(Settings(), warning)


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return " ".join(line.strip() for line in lines[:3]) if lines else type(exc).__name__


def _atomic_write_text(path: Path, text: str) -> None:
    """Replaces `path` with `text` so that readers see the old or the new file, never half."""
    ensure_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Makes the rename durable on POSIX; directories cannot be opened on Windows."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
