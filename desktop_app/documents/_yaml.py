"""YAML in and out: parse with line numbers, and write readable block text.

`load_yaml` parses with PyYAML's safe loader and also returns a `LineIndex`: the line of every
mapping key and sequence item, found from the same node tree, so that errors about a field can
name its line. It also catches duplicate mapping keys, which PyYAML would silently merge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from desktop_app.documents.errors import CrewFileError, CrewProblem
from desktop_app.engine.bounded_read import UnsafeFileError, read_text_bounded

MAX_NODES = 200_000
"""Most keys and items a file may hold once its aliases are expanded (stops alias bombs)."""

MAX_FLOW_DEPTH = 100
"""Deepest nesting of ``[...]``/``{...}``: PyYAML's scanner slows down with the square of it
(a 1,500-deep file of 3 KB took 1.2 s), and its composer recurses once per level."""

Loc = tuple[str | int, ...]
"""A place in a nested value: mapping keys and list indices."""


@dataclass
class LineIndex:
    """Lines (1-based) of the keys and items of a parsed YAML file.

    Attributes:
        lines: The line of each place that exists in the file.
    """

    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of ``loc``, or of its nearest enclosing place that exists."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return None


TOO_DEEP = "not a crew file: nested too deeply"
"""The message for a file whose nesting exhausts a parser (RecursionError, MemoryError)."""

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest crew file read: crew files are a few KB, and parsing 10 MB already takes seconds."""


def read_text(path: Path, what: str = "crew file") -> str:
    """Reads a UTF-8 text file through the bounded reader, turning refusals and OS errors into
    a `CrewFileError` naming the file.

    Special files (a FIFO, ``/dev/zero`` behind a symlink, a folder) and files over
    `MAX_FILE_BYTES` are refused before they are read (see `engine.bounded_read`).
    """
    try:
        return read_text_bounded(path, limit=MAX_FILE_BYTES, what=what)
    except UnsafeFileError as exc:
        raise CrewFileError(exc.reason, path=path) from None
    except FileNotFoundError:
        raise CrewFileError("file not found", path=path) from None
    except IsADirectoryError:
        raise CrewFileError("is a folder, not a file", path=path) from None
    except UnicodeDecodeError as exc:
        raise CrewFileError(f"not UTF-8 text ({exc.reason})", path=path) from None
    except OSError as exc:
        raise CrewFileError(f"cannot read: {exc.strerror or exc}", path=path) from None


def load_yaml(path: Path, text: str | None = None) -> tuple[Any, LineIndex]:
    """Parses a YAML file.

    Args:
        path: The file (read unless ``text`` is given; also used in messages).
        text: The file's text, when already read.

    Returns:
        The data (None for an empty file) and the lines of its keys.

    Raises:
        CrewFileError: The file cannot be read, is not valid YAML, or repeats a key.
    """
    source = read_text(path) if text is None else text
    try:
        loader = _Loader(source)
    except yaml.YAMLError as exc:  # the reader refuses control characters at once
        raise _yaml_error(exc, path) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, LineIndex()
        index = LineIndex({(): node.start_mark.line + 1})
        problems: list[CrewProblem] = []
        _index_node(node, (), index, problems, path)
        if problems:
            raise CrewFileError(problems)
        return loader.construct_document(node), index
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, path) from None
    except (RecursionError, MemoryError):
        raise CrewFileError(TOO_DEEP, path=path) from None
    finally:
        loader.dispose()


class _Loader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no type hints
    """The safe loader, refusing flow collections nested deeper than `MAX_FLOW_DEPTH`."""

    def fetch_flow_collection_start(self, token_class: type) -> None:
        if self.flow_level >= MAX_FLOW_DEPTH:
            raise yaml.scanner.ScannerError(
                None, None, f"brackets nested more than {MAX_FLOW_DEPTH} levels deep",
                self.get_mark(),
            )
        super().fetch_flow_collection_start(token_class)


def _yaml_error(exc: yaml.YAMLError, path: Path) -> CrewFileError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"not valid YAML: {problem}"
    if context:
        message += f" ({context})"
    line = mark.line + 1 if mark is not None else None
    return CrewFileError(message, path=path, line=line)


def _index_node(
    node: yaml.Node, loc: Loc, index: LineIndex, problems: list[CrewProblem], path: Path
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    CrewProblem(
                        f"duplicate key '{key}' (first at line {seen[key]})",
                        path=path,
                        line=line,
                        field=label_of((*loc, key)),
                    )
                )
                continue
            seen[key] = line
            index.lines[(*loc, key)] = line
            _check_size(index, path)
            _index_node(value_node, (*loc, key), index, problems, path)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            index.lines[(*loc, position)] = item.start_mark.line + 1
            _check_size(index, path)
            _index_node(item, (*loc, position), index, problems, path)


def _check_size(index: LineIndex, path: Path) -> None:
    if len(index.lines) > MAX_NODES:
        raise CrewFileError(
            f"not a crew file: more than {MAX_NODES:,} keys and items (aliases expanded)",
            path=path,
        )


def label_of(loc: Loc) -> str:
    """Writes a place as users read it: ``tasks[1].agent``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


class _BlockDumper(yaml.SafeDumper):  # type: ignore[misc]  # PyYAML ships no type hints
    """A safe dumper that writes multi-line text as literal blocks and indents lists."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_YAML_BREAKS = ("\x85", "\u2028", "\u2029")
"""Characters YAML reads as line breaks; PyYAML writes them unescaped outside double quotes."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    if any(mark in value for mark in _YAML_BREAKS):
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Writes data as block-style YAML, keeping key order and Unicode text."""
    text: str = yaml.dump(
        dict(data),
        Dumper=_BlockDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return text
