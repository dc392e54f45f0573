"""Reading a `@CrewBase` class's `agents.yaml`/`tasks.yaml`, with line numbers for errors.

A config file becomes a `ConfigDict` (a `dict` of entry name -> settings) that remembers where
it came from, so that `self.agents_config["reseacher"]` or an unknown agent name in
`tasks.yaml` fails with the file, the line and the names that do exist. `project_configs`
makes `@CrewBase` instances use given dicts instead of reading the files (the app's unsaved
designer edits).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import yaml

from desktop_app.engine.bounded_read import UnsafeFileError, read_text_bounded

CONFIG_FILE_LIMIT = 10 * 1024 * 1024
"""Largest project config file read (agents.yaml, tasks.yaml, crew.jsonc); see bounded_read."""


class ConfigError(ValueError):
    """A problem in a crew's YAML config (or in what it names), with its file and line.

    Attributes:
        path: The YAML file.
        line: The line (from 1), when known.
        message: What is wrong, for the user.
    """

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.message}"


class MissingEntryError(ConfigError, KeyError):
    """`agents_config[name]` for a name the file does not have (a `KeyError`, as in CrewAI)."""

    def __str__(self) -> str:
        return ConfigError.__str__(self)


class ConfigDict(dict[str, Any]):
    """A config file's entries (name -> settings), knowing their file and lines.

    Attributes:
        path: The file the entries came from (or would have, when it does not exist).
        kind: "agent" or "task", for messages.
        exists: Whether the file was read (or the entries injected).
        lines: The line of each entry (`(name,)`) and of each of its keys (`(name, key)`).
    """

    def __init__(
        self,
        entries: Mapping[str, Any] | None = None,
        *,
        path: Path,
        kind: str,
        exists: bool = True,
        lines: dict[tuple[str, ...], int] | None = None,
    ) -> None:
        super().__init__(entries or {})
        self.path = path
        self.kind = kind
        self.exists = exists
        self.lines = lines or {}

    def line_of(self, *keys: str) -> int | None:
        """The line of an entry, or of one of its keys (falling back to the entry's)."""
        return self.lines.get(tuple(keys)) or self.lines.get(tuple(keys[:1]))

    def error(self, message: str, *keys: str) -> ConfigError:
        """A `ConfigError` at an entry (or one of its keys)."""
        return ConfigError(self.path, self.line_of(*keys), message)

    def __missing__(self, key: str) -> Any:
        known = ", ".join(repr(name) for name in self) or "none"
        if not self.exists:
            message = f"this file does not exist, so there is no {self.kind} {key!r}"
        else:
            message = f"there is no {self.kind} {key!r} here (the {self.kind}s are: {known})"
        raise MissingEntryError(self.path, None, message)


_injected: ContextVar[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None] | None] = (
    ContextVar("crewdesk_project_configs", default=None)
)


@contextmanager
def project_configs(
    agents: Mapping[str, Any] | None, tasks: Mapping[str, Any] | None
) -> Iterator[None]:
    """`@CrewBase` instances made inside use these configs instead of reading their YAML.

    Args:
        agents: Entries as in agents.yaml (name -> settings), or None to read the file.
        tasks: Entries as in tasks.yaml, or None to read the file.

    The configs are copied for each instance. They follow the context (a `ContextVar`):
    `asyncio.to_thread` and tasks see them, other threads do not.
    """
    token = _injected.set((agents, tasks))
    try:
        yield
    finally:
        _injected.reset(token)


def load_config(path: Path, kind: str, explicit: bool, where: str) -> ConfigDict:
    """The entries of a crew's agents or tasks config.

    Args:
        path: The YAML file.
        kind: "agent" or "task".
        explicit: The class named the file itself (a missing file is then an error; a missing
            default file means the crew is defined in code, as CrewAI allows).
        where: The class and file that named it, for messages.

    Raises:
        ConfigError: The file is missing (when named explicitly), is not valid YAML, or is not
            a mapping of names to mappings of settings.
    """
    injected = _injected.get()
    if injected is not None:
        given = injected[0] if kind == "agent" else injected[1]
        if given is not None:
            return _checked(ConfigDict(copy.deepcopy(dict(given)), path=path, kind=kind))
    try:
        text = read_text_bounded(path, limit=CONFIG_FILE_LIMIT, what="config file")
    except UnsafeFileError as exc:  # a FIFO, a link to /dev/zero, a huge file
        raise ConfigError(path, None, exc.reason) from None
    except FileNotFoundError:
        if explicit:
            raise ConfigError(
                path, None, f"the {kind}s config file named by {where} does not exist"
            ) from None
        return ConfigDict(path=path, kind=kind, exists=False)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"cannot read this file: {exc}") from exc
    return _checked(_parse(text, path, kind))


def _parse(text: str, path: Path, kind: str) -> ConfigDict:
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, line, f"not valid YAML: {problem}") from exc
    except (RecursionError, MemoryError):
        raise ConfigError(path, None, "not valid YAML: nested too deeply") from None
    if data is None:
        return ConfigDict(path=path, kind=kind)
    if not isinstance(data, dict):
        raise ConfigError(path, 1, f"the file must map {kind} names to their settings")
    return ConfigDict(data, path=path, kind=kind, lines=_lines_of(root))


def _lines_of(root: yaml.Node | None) -> dict[tuple[str, ...], int]:
    lines: dict[tuple[str, ...], int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key_node, value_node in root.value:
        name = str(key_node.value)
        lines[(name,)] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.MappingNode):
            for sub_key, _ in value_node.value:
                lines[(name, str(sub_key.value))] = sub_key.start_mark.line + 1
    return lines


def _checked(config: ConfigDict) -> ConfigDict:
    for name, settings in config.items():
        if not isinstance(settings, dict):
            raise config.error(
                f"{config.kind} {name!r} must be a mapping of settings (role: ..., goal: ...), "
                f"not {type(settings).__name__}",
                str(name),
            )
    return config
