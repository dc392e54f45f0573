"""Writing changed values back into a project's own YAML or JSONC files, keeping the rest.

A CrewAI project's ``agents.yaml`` / ``tasks.yaml`` (or ``crew.jsonc``) belong to the user:
they carry comments, keys CrewDesk does not know and an order of their own. Rewriting them
from a document would lose all of that, so a save edits the text in place: only the spans of
the values that changed are replaced (found from PyYAML's node marks), a missing key is added
at the end of its mapping, and a removed one loses its lines. Everything else stays byte for
byte. The file is replaced atomically (a temporary file beside it, then ``os.replace``).

JSONC is read the same way: its comments and trailing commas are blanked first (keeping every
offset), which makes it YAML that PyYAML composes, and new values are written as JSON.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from desktop_app.documents._crewai_jsonc import _blank_comments
from desktop_app.documents._yaml import Loc, label_of, read_text
from desktop_app.documents.errors import CrewFileError

__all__ = ["REMOVE", "apply_edits", "write_all", "write_edits"]


class _Remove:
    """The value of an edit that removes its key."""

    def __repr__(self) -> str:
        return "REMOVE"


REMOVE: Any = _Remove()
"""Give this as an edit's value to remove the key (its lines, in YAML)."""


@dataclass(frozen=True)
class _Splice:
    start: int
    end: int
    text: str


def apply_edits(text: str, edits: Mapping[Loc, Any], *, path: Path, json_mode: bool = False) -> str:
    """Returns ``text`` with the values at ``edits``' places replaced.

    Args:
        text: The file's text.
        edits: Place (mapping keys and list positions from the top) -> new value (a str, number, bool, None, a
            list or mapping of those, or `REMOVE`). The parent mapping of each place must exist.
        path: The file (for messages).
        json_mode: The text is JSON/JSONC; new values are written as JSON.

    Raises:
        CrewFileError: The text is not valid YAML/JSONC, or a place has no parent mapping.
    """
    source = _blank_comments(text) if json_mode else text
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise CrewFileError(f"cannot edit: not valid {'JSON' if json_mode else 'YAML'} ({exc})",
                            path=path) from None
    splices = [_splice_for(source, root, loc, value, path, json_mode)
               for loc, value in edits.items()]
    result = text
    for splice in sorted((s for s in splices if s is not None), key=lambda s: s.start,
                         reverse=True):
        result = result[: splice.start] + splice.text + result[splice.end:]
    return result


def write_edits(path: Path, edits: Mapping[Loc, Any], *, json_mode: bool = False) -> bool:
    """Applies ``edits`` to the file at ``path`` and replaces it atomically (blocking).

    Returns:
        Whether the file changed.

    Raises:
        CrewFileError: The file cannot be read, edited or written.
    """
    return write_all({path: edits}, json_suffixes=(path.suffix,) if json_mode else ()) != ()


def write_all(
    edits: Mapping[Path, Mapping[Loc, Any]], *, json_suffixes: tuple[str, ...] = (".json", ".jsonc")
) -> tuple[Path, ...]:
    """Applies edits to several files: every file is edited in memory first, so a problem in
    any of them writes none; then each is replaced atomically (blocking).

    Args:
        edits: File -> its edits.
        json_suffixes: Files with these suffixes are JSON/JSONC.

    Returns:
        The files that changed.

    Raises:
        CrewFileError: A file cannot be read, edited or written.
    """
    updated: dict[Path, str] = {}
    for path, changes in edits.items():
        if not changes:
            continue
        text = read_text(path)
        new = apply_edits(text, changes, path=path, json_mode=path.suffix in json_suffixes)
        if new != text:
            updated[path] = new
    for path, text in updated.items():
        _atomic_write(path, text)
    return tuple(updated)


def _atomic_write(path: Path, text: str) -> None:
    try:
        mode = path.stat().st_mode & 0o777
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temp_name, mode)
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CrewFileError(f"cannot write: {exc.strerror or exc}", path=path) from None


def _splice_for(
    text: str, root: yaml.Node | None, loc: Loc, value: Any, path: Path, json_mode: bool
) -> _Splice | None:
    parent = _node_at(root, loc[:-1])
    if not isinstance(parent, yaml.MappingNode):
        raise CrewFileError(f"cannot edit {label_of(loc)}: {label_of(loc[:-1]) or 'the file'} "
                            "is not a mapping there", path=path)
    key = str(loc[-1])
    pair = next(((k, v) for k, v in parent.value if str(k.value) == key), None)
    if pair is None:
        if value is REMOVE:
            return None
        return _insertion(text, parent, key, value, json_mode)
    key_node, value_node = pair
    if value_node.start_mark.index < key_node.start_mark.index:  # `*alias`: shared text
        raise CrewFileError(f"cannot edit {label_of(loc)}: its value is a YAML alias; change "
                            "it in the file itself", path=path, line=key_node.start_mark.line + 1)
    if value is REMOVE:
        return None if json_mode else _removal(text, key_node, value_node)
    rendered = _render(value, value_node, key_node.start_mark.column, json_mode)
    start, end = value_node.start_mark.index, _content_end(text, value_node)
    anchor = re.match(r"&\S+[ \t]*", text[start:end])
    if anchor:  # `&name value`: the anchor stays, others still refer to it
        start += anchor.end()
    if value_node.start_mark.index == key_node.end_mark.index:  # `key:` with no value at all
        rendered = " " + rendered
    if rendered.endswith("\n") and not text[start:end].endswith("\n"):
        rendered = rendered[:-1]
    elif text[start:end].endswith("\n") and not rendered.endswith("\n"):
        rendered += "\n"
    return _Splice(start, end, rendered)


def _content_end(text: str, node: yaml.Node) -> int:
    """Where a value's text ends: a block scalar's span also covers the blank lines after
    it, which belong to the layout (kept), unless its value keeps them (``|+``)."""
    end: int = node.end_mark.index
    block = isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
    if not block or str(node.value).endswith("\n\n"):
        return end
    segment = text[node.start_mark.index:end]
    newline = segment.find("\n", len(segment.rstrip(" \t\n")))
    return end if newline < 0 else node.start_mark.index + newline + 1


def _node_at(node: yaml.Node | None, loc: Loc) -> yaml.Node | None:
    for part in loc:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if 0 <= part < len(node.value) else None
        elif isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if str(k.value) == str(part)), None)
        else:
            return None
    return node


def _render(value: Any, old: yaml.Node, key_column: int, json_mode: bool) -> str:
    """The new value's text, in the style of the old one where that is possible."""
    if json_mode:
        return json.dumps(value, ensure_ascii=False)
    style = old.style if isinstance(old, yaml.ScalarNode) else None
    if isinstance(value, str) and style in ("|", ">") and str(old.value).endswith("\n"):
        value = value if value.endswith("\n") else value + "\n"  # keep `>`, not `>-`
    if isinstance(value, str):
        if "\n" in value or style in ("|", ">"):
            folded = style == ">" and "\n" not in value.rstrip("\n")
            return _literal(value, key_column + 2, ">" if folded else "|")
        if style == '"':
            return json.dumps(value, ensure_ascii=False)
        if style == "'":
            return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return _plain(value)


def _plain(value: Any) -> str:
    """A scalar as PyYAML would write it on one line (quoted only when it must be)."""
    dumped: str = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                                 width=1 << 30)
    return dumped.removesuffix("\n...\n").removesuffix("\n")


def _literal(value: str, indent: int, style: str = "|") -> str:
    """A block scalar (``|`` or ``>``, with ``-``/``+`` chomping) whose lines start at
    ``indent`` (``>`` only for text without inner line breaks, which it would fold)."""
    lines = value.split("\n")
    if lines[0].startswith((" ", "\t")) or any("\t" in line[:1] for line in lines):
        return json.dumps(value, ensure_ascii=False)  # a leading space needs an indicator
    if value.endswith("\n\n"):
        chomp, body = "+", lines[:-1]
    elif value.endswith("\n"):
        chomp, body = "", lines[:-1]
    else:
        chomp, body = "-", lines
    pad = " " * indent
    return f"{style}{chomp}\n" + "".join(f"{pad}{line}\n" if line else "\n" for line in body)


def _insertion(
    text: str, parent: yaml.MappingNode, key: str, value: Any, json_mode: bool
) -> _Splice:
    if json_mode or parent.flow_style:
        rendered = json.dumps(value, ensure_ascii=False)
        if parent.value:  # right after the last value: a trailing comma stays trailing
            at = parent.value[-1][1].end_mark.index
            return _Splice(at, at, f", {json.dumps(key)}: {rendered}")
        at = parent.start_mark.index + 1  # after the opening brace
        return _Splice(at, at, f"{json.dumps(key)}: {rendered}")
    if parent.value:
        column = parent.value[0][0].start_mark.column
        end = _content_end(text, parent.value[-1][1])
    else:
        column, end = parent.start_mark.column + 2, parent.end_mark.index
    line_end = text.find("\n", end - 1 if end and text[end - 1] == "\n" else end)
    at = len(text) if line_end < 0 else line_end + 1
    prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
    fake = yaml.ScalarNode("tag:yaml.org,2002:str", "")
    rendered = _render(value, fake, column, json_mode=False)
    line = f"{prefix}{' ' * column}{_plain(key)}: {rendered}"
    return _Splice(at, at, line if line.endswith("\n") else line + "\n")


def _removal(text: str, key_node: yaml.Node, value_node: yaml.Node) -> _Splice:
    start = text.rfind("\n", 0, key_node.start_mark.index) + 1
    end = _content_end(text, value_node)
    if end == 0 or text[end - 1] != "\n":
        newline = text.find("\n", end)
        end = len(text) if newline < 0 else newline + 1
    return _Splice(start, end, "")
