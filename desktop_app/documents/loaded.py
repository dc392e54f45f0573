"""`LoadedCrew`: a checked document together with where it came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.documents._locate import SourceMap
from desktop_app.documents.errors import CrewFileError, CrewProblem, ImportNotice
from desktop_app.documents.model import CrewDocument


@dataclass(frozen=True)
class LoadedCrew:
    """A crew document read from a file or a CrewAI project, with no problems.

    Attributes:
        document: The crew.
        path: The CrewDesk file, or the CrewAI project folder or file it came from.
        notices: Fields kept but not used by CrewDesk, one notice per field.
        source: Where each part came from, so later errors (missing inputs) name the file.
    """

    document: CrewDocument
    path: Path
    notices: tuple[ImportNotice, ...] = ()
    source: SourceMap | None = field(default=None, compare=False, repr=False)

    def problem(self, loc: tuple[str | int, ...], message: str) -> CrewProblem:
        """A problem at a place of the document, placed in the file it came from."""
        if self.source is None:
            return CrewProblem(message, path=self.path)
        return self.source.problem(loc, message)

    @property
    def base_dir(self) -> Path:
        """The folder relative knowledge paths start from: the crew file's folder, or the
        CrewAI project's folder (blocking: it asks the disk which one ``path`` is)."""
        return self.path if self.path.is_dir() else self.path.parent

    def check_files(self) -> None:
        """Raises when a knowledge file of the crew is not on disk (blocking).

        Raises:
            CrewFileError: One problem per missing file, at its place in the file.
        """
        missing = self.document.file_problems(self.base_dir)
        if missing:
            raise CrewFileError([self.problem(issue.loc, issue.message) for issue in missing])

    def check_inputs(self, values: Mapping[str, object]) -> None:
        """Raises when a placeholder has no value in ``values``.

        Raises:
            CrewFileError: One problem per missing placeholder, at its first use.
        """
        missing = self.document.missing_inputs(values)
        if missing:
            raise CrewFileError([self.problem(issue.loc, issue.message) for issue in missing])


def checked(document: CrewDocument, source: SourceMap, notices: tuple[ImportNotice, ...] = ()) -> LoadedCrew:
    """Wraps a document after making sure it has no problems.

    Raises:
        CrewFileError: The document's problems, placed in its files.
    """
    issues = document.problems()
    if issues:
        raise source.error((issue.loc, issue.message) for issue in issues)
    return LoadedCrew(document, source.path, notices, source)
