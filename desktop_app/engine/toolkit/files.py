"""CrewAI's file tools: `FileReadTool`, `DirectoryReadTool`, `FileWriterTool`.

The readers are the engine's own (`builtin_tools`) under CrewAI's names, descriptions,
argument schemas and constructor arguments (`FileReadTool(file_path=...)`,
`DirectoryReadTool(directory=...)`). As in crewai-tools 1.15, a path the model gives must
stay inside `base_dir` (the working folder by default); a file or folder the code named is
always allowed. In a run without a `base_dir`, the folder is the run's workspace, and a path
outside it is read once the user approved that call by name (see `builtin_tools`). Every
write asks first (kind "file_write", naming the resolved path).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from desktop_app.engine import builtin_tools
from desktop_app.engine._tool_paths import working_root
from desktop_app.engine.approval import ApprovalRequest
from desktop_app.engine.builtin_tools import resolve_inside
from desktop_app.engine.toolkit._face import CrewAIToolFace

__all__ = ["DirectoryReadTool", "FileReadTool", "FileWriterTool"]


class FileReadToolSchema(BaseModel):
    """Input for FileReadTool."""

    file_path: str | None = Field(
        None,
        description=(
            "Full path of the file to read. Omit it to read the tool's default "
            "file, which only works when one was configured."
        ),
    )
    start_line: int | None = Field(1, description="Line number to start reading from (1-indexed)")
    line_count: int | None = Field(
        None, description="Number of lines to read. If None, reads the entire file"
    )


class FileReadTool(CrewAIToolFace, builtin_tools.FileReadTool):
    """CrewAI's `FileReadTool`: reads a text file, the tool's own or one the model names."""

    name: str = "Read a file's content"
    description: str = (
        "A tool that reads the content of a file. To use this tool, provide a 'file_path' "
        "parameter with the path to the file you want to read. Reads are confined to the "
        "tool's allowed directory; a path that resolves outside it is rejected. Optionally, "
        "provide 'start_line' to start reading from a specific line and 'line_count' to "
        "limit the number of lines read."
    )
    args_schema: type[BaseModel] = FileReadToolSchema

    _declared: Path | None = PrivateAttr(default=None)

    def __init__(
        self,
        file_path: str | None = None,
        base_dir: str | None = None,
        encoding: str = "utf-8",
        **kwargs: Any,
    ) -> None:
        """Makes the tool, as CrewAI's (a `file_path` is read when the model gives none)."""
        if base_dir is not None:
            base_dir = os.path.realpath(base_dir)
        if file_path is not None:
            kwargs.setdefault("description", (
                f"A tool that reads file content. The default file is {file_path}, which is "
                "read when 'file_path' is omitted. You can also provide a different "
                "'file_path' parameter to read another file, though reads are confined to the "
                "tool's allowed directory and a path that resolves outside it is rejected. "
                "Specify 'start_line' and 'line_count' to read specific parts of the file."
            ))
        kwargs.update(file_path=file_path, base_dir=base_dir, encoding=encoding)
        super().__init__(**kwargs)
        # Pinned now, as CrewAI does, so a later change of folder cannot repoint it.
        self._declared = None if file_path is None else _anchored(file_path, base_dir)

    def _path_to_read(self, given: str | None) -> Path:
        declared = self._declared
        if declared is not None and (
            not given or given == self.file_path or _anchored(given, self.base_dir) == declared
        ):
            return declared
        return super()._path_to_read(given)

    def _confined(self, given: object, path: Path) -> bool:
        return super()._confined(given, path) and path != self._declared

    def _unscoped_root(self) -> Path | None:
        return Path(os.getcwd())


class FixedDirectoryReadToolSchema(BaseModel):
    """Input for DirectoryReadTool."""


class DirectoryReadToolSchema(FixedDirectoryReadToolSchema):
    """Input for DirectoryReadTool."""

    directory: str = Field(..., description="Mandatory directory to list content")


class DirectoryReadTool(CrewAIToolFace, builtin_tools.DirectoryReadTool):
    """CrewAI's `DirectoryReadTool`: lists the files under a folder, recursively."""

    name: str = "List files in directory"
    description: str = "A tool that can be used to recursively list a directory's content."
    args_schema: type[BaseModel] = DirectoryReadToolSchema

    def __init__(self, directory: str | None = None, **kwargs: Any) -> None:
        """Makes the tool, as CrewAI's (with a `directory`, the model gives none)."""
        if directory is not None:
            kwargs.setdefault(
                "description", f"A tool that can be used to list {directory}'s content."
            )
            kwargs.setdefault("args_schema", FixedDirectoryReadToolSchema)
        kwargs["directory"] = directory
        super().__init__(**kwargs)

    def _unscoped_root(self) -> Path | None:
        return Path(os.getcwd())

    def _entry(self, root: Path, path: Path) -> str | None:
        return None if path.is_dir() else str(path)

    def _heading(self, root: Path) -> str:
        return "File paths: "


class FileWriterToolInput(BaseModel):
    """Input for FileWriterTool."""

    filename: str = Field(
        ...,
        description=(
            "Name of the file to write, relative to 'directory'. May include "
            "subdirectories, which are created if they do not exist."
        ),
    )
    content: str = Field(..., description="The text content to write to the file.")
    directory: str | None = Field(
        "./",
        description=(
            "Directory to write the file into. A relative path resolves inside "
            "the tool's allowed directory, and defaults to its root. Created if "
            "it does not exist."
        ),
    )
    overwrite: str | bool = Field(
        False,
        description=(
            "Whether to replace the file when it already exists. Accepts "
            "true/false (also yes/no, on/off, 1/0). Defaults to false, which "
            "reports an error instead of replacing existing content."
        ),
    )


_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})


def _flag(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    if value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"overwrite must be true or false, not {value!r}")


class FileWriterTool(CrewAIToolFace):
    """CrewAI's `FileWriterTool`: writes text to a file inside `base_dir` (default: the
    working folder), creating folders; an existing file is replaced only with `overwrite`.

    Attributes:
        base_dir: The folder writes must stay inside; None: the working folder.
        encoding: How the text is encoded.
    """

    name: str = "File Writer Tool"
    description: str = (
        "A tool to write content to a specified file. Accepts filename, content, and "
        "optionally a directory path and overwrite flag as input. Writes are confined to "
        "the tool's allowed directory; a filename or directory that resolves outside it is "
        "rejected."
    )
    args_schema: type[BaseModel] = FileWriterToolInput
    base_dir: str | None = None
    encoding: str = "utf-8"

    def _run(self, **kwargs: Any) -> str:
        overwrite = _flag(kwargs.get("overwrite") or False)
        root, target = self._target(kwargs)
        shown = target.relative_to(root).as_posix()
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and not overwrite:
            return f"File {shown} already exists and overwrite option was not passed."
        with target.open("w" if overwrite else "x", encoding=self.encoding) as file:
            file.write(str(kwargs["content"]))
        return f"Content successfully written to {shown}"

    def approval_request(
        self, arguments: dict[str, Any], workspace: Path
    ) -> ApprovalRequest:
        """Every write asks: kind "file_write", naming the resolved path, with the text."""
        _flag(arguments.get("overwrite") or False)
        root, target = self._target(arguments)
        content = str(arguments.get("content", ""))
        replaces = " (replacing it)" if target.exists() else ""
        return ApprovalRequest(
            kind="file_write", tool_name=self.name,
            summary=f"Write {target.relative_to(root).as_posix()}{replaces}",
            detail=f"{target}\n\n{content}", target=str(target),
        )

    def _target(self, kwargs: dict[str, Any]) -> tuple[Path, Path]:
        """The folder writes stay in (`base_dir`, else the run's workspace, else the
        working folder) and the resolved file to write.

        Raises:
            PermissionError: The file would be outside that folder.
        """
        root = (Path(self.base_dir) if self.base_dir else working_root()).resolve()
        folder = resolve_inside(str(kwargs.get("directory") or "./"), str(root))
        target = (folder / str(kwargs["filename"])).resolve()
        if not target.is_relative_to(folder) or target == folder:
            raise PermissionError(
                f"'{kwargs['filename']}' would be written outside the folder {folder}"
            )
        return root, target


def _anchored(path: str, base_dir: str | None) -> Path:
    """`path` resolved from `base_dir` (the working folder when None)."""
    return (Path(base_dir or os.getcwd()) / Path(path).expanduser()).resolve()
