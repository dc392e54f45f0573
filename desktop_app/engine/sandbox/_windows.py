"""The Windows backend (being written)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from desktop_app.engine.sandbox._base import IsolationLimits, Launch, SandboxUnavailable


def appcontainer_problem() -> str | None:
    """Why no AppContainer can be made here, or None."""
    return "not written yet"


class AppContainerIsolator:
    """Runs the program in an AppContainer inside a Job Object."""

    name = "appcontainer"

    def prepare(
        self,
        *,
        argv: Sequence[str],
        run_folder: str,
        limits: IsolationLimits,
        env: Mapping[str, str],
        read_only: Sequence[str] = (),
    ) -> Launch:
        """Not yet."""
        raise SandboxUnavailable("not written yet")
