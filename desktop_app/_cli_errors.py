"""How ``crewdesk`` commands end: their exit codes, and the usage errors they explain.

A usage error is a mistake in the command line or in a file it names: the command prints its
text on one ``error:`` line (no traceback) and exits with `EXIT_USAGE`. Shared by ``run``,
``rehearse`` and the project and flow runners, so that each explains a mistake the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "MissingInputsError",
    "UsageError",
    "inputs_hint",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A mistake in the command line or in a file it names; its text is shown to the user."""


class MissingInputsError(UsageError):
    """Inputs without a value for some placeholders: one ``error:`` line each, and a hint.

    Attributes:
        problems: The messages, one per placeholder.
        names: The placeholders, for the hint.
    """

    def __init__(self, problems: Sequence[str], names: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)
        self.names = list(names)


def inputs_hint(names: Sequence[str]) -> str:
    """``hint: give the values with --inputs '{"name": "..."}'`` for the placeholders."""
    example = ", ".join(f'"{name}": "..."' for name in dict.fromkeys(names))
    return f"hint: give the values with --inputs '{{{example}}}'"
