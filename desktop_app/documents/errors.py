"""What goes wrong in a crew file, and what an import keeps without using.

A `CrewFileError` carries one or more `CrewProblem`s. Each names the file, the line where it
is known, and the field, so that the CLI and the GUI can show the user where to look without a
traceback. An `ImportNotice` is not an error: it says that a field was kept (and will be
written back on export) although CrewDesk does not use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CrewProblem:
    """One mistake in a crew file.

    Attributes:
        message: What is wrong, written for the user.
        path: The file, when the problem comes from one.
        line: The 1-based line, when it is known.
        field: Where in the file, such as ``tasks[1].agent`` or ``write_task.context``.
    """

    message: str
    path: Path | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        if self.field:
            where += f"{self.field}: "
        return where + self.message


class CrewFileError(Exception):
    """A crew file (or a CrewAI project) that CrewDesk cannot load, export or run.

    Its ``str()`` is one line per problem, ready to show to a user.

    Attributes:
        problems: Every problem found, at least one.
    """

    def __init__(
        self,
        problems: Sequence[CrewProblem] | str,
        *,
        path: Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        """Makes an error from problems, or from one message and its place.

        Args:
            problems: The problems, or a message for a single problem.
            path: The file of a single problem given as a message.
            line: Its line.
            field: Its field.
        """
        if isinstance(problems, str):
            problems = [CrewProblem(problems, path=path, line=line, field=field)]
        if not problems:
            raise ValueError("CrewFileError needs at least one problem")
        self.problems: tuple[CrewProblem, ...] = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @property
    def path(self) -> Path | None:
        """The file of the first problem."""
        return self.problems[0].path

    @property
    def line(self) -> int | None:
        """The line of the first problem."""
        return self.problems[0].line

    @property
    def field(self) -> str | None:
        """The field of the first problem."""
        return self.problems[0].field

    @property
    def message(self) -> str:
        """The message of the first problem."""
        return self.problems[0].message


@dataclass(frozen=True)
class ImportNotice:
    """A field that an import kept but that CrewDesk does not use.

    The value stays in the document's ``extra`` and goes back out on export.

    Attributes:
        path: The file the field came from.
        field: The field's name (``allow_delegation``) or place.
        message: What this means for the user.
    """

    path: Path
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"
