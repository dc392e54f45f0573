"""`crewdesk doctor`: what this installation is made of, and whether it works.

Prints the versions of CrewDesk and its main parts, the Qt platform, the keychain backend (and
how to fix it when it does not work), the data and config folders and the configured providers
(names only, never a key), then runs a one-task crew against the built-in LLM simulator: an
agent with code execution averages a list of numbers, and the answer must hold the average.

Exit status: 0 when every check passed, 1 otherwise. A missing keychain is a warning, not a
failure (CrewDesk then works with session-only keys; `--strict` makes it fail). Works in a
frozen (PyInstaller) build: it reads only package metadata and modules, never source files.
Run it as `crewdesk doctor` or `python -m desktop_app.doctor`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Literal, TextIO

from desktop_app import __version__

Outcome = Literal["ok", "warn", "fail"]

NUMBERS = (3, 5, 10, 2, 7.5)
"""The list the simulated crew averages (the simulator's code tool computes the mean)."""

_DISTRIBUTIONS = (
    ("CrewDesk", ("crewdesk",)),
    ("PySide6", ("PySide6-Essentials", "PySide6", "pyside6-essentials", "pyside6")),
    ("qasync", ("qasync",)),
    ("litellm", ("litellm",)),
    ("keyring", ("keyring",)),
    ("pydantic", ("pydantic",)),
)


@dataclass(frozen=True)
class Check:
    """The result of one check.

    Attributes:
        name: What was checked.
        outcome: "ok", "warn" (works, with a limitation) or "fail".
        detail: What was found, and how to fix it when it is not ok.
    """

    name: str
    outcome: Outcome
    detail: str


def distribution_version(names: Sequence[str]) -> str | None:
    """The installed version of the first of `names` that has package metadata."""
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def versions() -> list[tuple[str, str]]:
    """(label, version) of Python and CrewDesk's main parts; litellm is never imported."""
    found = [("Python", f"{platform.python_version()} ({sys.executable})")]
    for label, names in _DISTRIBUTIONS:
        version = distribution_version(names)
        if version is None and label == "CrewDesk":
            version = __version__
        found.append((label, version or "not installed"))
    if getattr(sys, "frozen", False):
        found.append(("Build", "frozen (PyInstaller)"))
    return found


def check_versions() -> Check:
    """Fails when a part CrewDesk needs has no package metadata (a broken install or build)."""
    missing = [label for label, version in versions() if version == "not installed"]
    if missing:
        return Check("packages", "fail", "missing: " + ", ".join(missing))
    return Check("packages", "ok", "all present")


def needs_offscreen(environ: Mapping[str, str], platform_name: str = sys.platform) -> bool:
    """Whether Qt must use its offscreen platform: X11/Wayland systems with no display."""
    if environ.get("QT_QPA_PLATFORM"):
        return False
    if platform_name in ("win32", "cygwin", "darwin"):
        return False
    return not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def check_qt(require_display: bool = False) -> Check:
    """Starts Qt's GUI layer (offscreen when there is no display) and names its platform.

    Args:
        require_display: Fail when Qt can only run offscreen (no visible windows).
    """
    if needs_offscreen(os.environ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        from PySide6.QtCore import qVersion
        from PySide6.QtGui import QGuiApplication
    except ImportError as exc:
        return Check("Qt", "fail", f"PySide6 cannot be imported: {exc}")
    app = QGuiApplication.instance()
    if app is None:
        app = QGuiApplication(["crewdesk-doctor"])
    name = QGuiApplication.platformName()
    detail = f"Qt {qVersion()}, platform plugin '{name}'"
    if name == "offscreen":
        detail += " (no display found: windows would not be visible)"
        return Check("Qt", "fail" if require_display else "ok", detail)
    return Check("Qt", "ok", detail)


def check_keychain(strict: bool = False) -> Check:
    """Whether API keys can be stored in the OS keychain, and how to fix it when not."""
    from desktop_app.storage.secrets import SecretStore

    status = SecretStore().available()
    if status.ok:
        return Check("keychain", "ok", f"backend {status.backend}")
    detail = f"backend {status.backend}: {status.problem}\n    fix: {status.advice}"
    return Check("keychain", "fail" if strict else "warn", detail)


def paths_lines() -> list[tuple[str, str]]:
    """CrewDesk's folders for this user (or under $CREWDESK_HOME)."""
    from desktop_app.storage.paths import AppPaths

    paths = AppPaths.from_env()
    return [
        ("config", str(paths.config_dir)),
        ("data", str(paths.data_dir)),
        ("run history", str(paths.history_db)),
        ("crews", str(paths.data_dir / "crews")),
        ("logs", str(paths.log_dir)),
    ]


def check_providers() -> Check:
    """The configured providers, by name and kind only (never a key)."""
    from desktop_app.storage.paths import AppPaths
    from desktop_app.storage.settings import SettingsStore

    loaded = SettingsStore(AppPaths.from_env()).load()
    if loaded.warning:
        return Check("providers", "warn", loaded.warning)
    providers = loaded.settings.providers
    if not providers:
        return Check("providers", "warn",
                     "none configured: open Settings, or use the offline simulator")
    default = loaded.settings.default_provider
    names = [
        f"{p.display_name or p.id} [{p.kind}]{' (default)' if p.id == default else ''}"
        for p in providers
    ]
    return Check("providers", "ok", ", ".join(names))


def expected_average() -> str:
    """The average of `NUMBERS` as Python prints it."""
    return str(sum(NUMBERS) / len(NUMBERS))


async def _run_simulated_crew(base_url: str, sandboxed: bool = True) -> str:
    from desktop_app.engine import LLM, Agent, CodeInterpreterTool, CodeLimits, Crew, Task

    llm = LLM("openai/sim:tokens=12", base_url=base_url, api_key="sim-no-key", max_retries=0,
              timeout=30)
    code: dict[str, Any] = {"allow_code_execution": True}
    if not sandboxed:  # the local simulator's own averaging code, not a model's: safe to run
        code = {"tools": [CodeInterpreterTool(limits=CodeLimits(allow_unsandboxed=True))]}
    analyst = Agent(role="Data analyst", goal="Compute exact statistics",
                    backstory="You check numbers by running Python code.", llm=llm,
                    max_iter=4, **code)
    numbers = ", ".join(str(n) for n in NUMBERS)
    task = Task(description=f"Compute the average of these numbers: [{numbers}]",
                expected_output="The average.", agent=analyst)
    output = await Crew(agents=[analyst], tasks=[task]).akickoff()
    return str(output.raw)


def check_crew(timeout: float = 60.0) -> Check:
    """Runs a one-task crew against the built-in simulator; the answer must hold the average."""
    from desktop_app.engine.sandbox import detect
    from desktop_app.simulator import SimulatorThread

    backend = detect().backend
    started = time.perf_counter()
    try:
        with SimulatorThread() as sim:
            crew = _run_simulated_crew(sim.base_url, sandboxed=backend is not None)
            answer = asyncio.run(asyncio.wait_for(crew, timeout))
    except Exception as exc:  # noqa: BLE001 - every failure is the check's result
        return Check("simulated crew", "fail", f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - started
    average = expected_average()
    if average not in answer:
        short = " ".join(answer.split())[:200]
        return Check("simulated crew", "fail", f"expected {average} in the answer: {short!r}")
    where = f"in the {backend} sandbox" if backend else "unsandboxed: no sandbox here"
    return Check("simulated crew", "ok", f"code execution averaged {list(NUMBERS)} = "
                 f"{average} in {seconds:.1f} s ({where})")


def check_sandbox() -> Check:
    """Which OS sandbox runs the code a model writes, and why (none: code execution is off)."""
    from desktop_app.engine.sandbox import caps_summary, detect

    found = detect()
    if found.backend is None:
        fix = "install bubblewrap, or " if sys.platform.startswith("linux") else ""
        return Check("sandbox", "warn", f"none: {found.reason}; model-written code will not run "
                     f"({fix}let a crew run it unsandboxed)")
    return Check("sandbox", "ok", f"{found.backend}: {found.reason}; {caps_summary(found.backend)}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crewdesk doctor",
        description="Show what this CrewDesk installation is made of and check that it works.",
    )
    parser.add_argument("--qt", action="store_true",
                        help="require a real display: fail when Qt can only run offscreen")
    parser.add_argument("--no-qt", action="store_true", help="skip the Qt check")
    parser.add_argument("--no-crew", action="store_true",
                        help="skip the simulated crew run")
    parser.add_argument("--strict", action="store_true",
                        help="fail (not warn) when no keychain works or no provider is set up")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds allowed for the simulated crew (default 60)")
    return parser


def _report(out: TextIO, check: Check) -> None:
    mark = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}[check.outcome]
    print(f"[{mark}] {check.name}: {check.detail}", file=out, flush=True)


def _run_check(out: TextIO, name: str, run: Callable[[], Check]) -> Check:
    try:
        check = run()
    except Exception as exc:  # noqa: BLE001 - a crashing check is a failed check
        check = Check(name, "fail", f"{type(exc).__name__}: {exc}")
    _report(out, check)
    return check


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Prints the diagnosis and runs the checks.

    Args:
        argv: The arguments after `doctor` (see `--help`); `sys.argv[1:]` when None.
        out: Where to print; standard output when None.

    Returns:
        0 when every check passed (warnings allowed unless `--strict`), else 1.
    """
    args = _parser().parse_args(argv)
    stream = sys.stdout if out is None else out
    print(f"CrewDesk doctor ({platform.platform()})", file=stream)
    for label, version in versions():
        print(f"  {label:<9} {version}", file=stream)
    print("Folders:", file=stream)
    for label, path in paths_lines():
        print(f"  {label:<12} {path}", file=stream)
    print("Checks:", file=stream, flush=True)
    checks = [_run_check(stream, "packages", check_versions)]
    checks.append(_run_check(stream, "keychain", lambda: check_keychain(args.strict)))
    checks.append(_run_check(stream, "providers", check_providers))
    checks.append(_run_check(stream, "sandbox", check_sandbox))
    if not args.no_crew:
        checks.append(_run_check(stream, "simulated crew", lambda: check_crew(args.timeout)))
    if not args.no_qt:  # last: a Qt platform plugin that cannot load aborts the process
        checks.append(_run_check(stream, "Qt", lambda: check_qt(args.qt)))
    failed = [c for c in checks if c.outcome == "fail" or (args.strict and c.outcome == "warn")]
    warned = [c for c in checks if c.outcome == "warn"]
    summary = "all checks passed" if not failed else f"{len(failed)} check(s) failed"
    if warned and not failed:
        summary += f" ({len(warned)} warning(s))"
    print(summary, file=stream, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
