"""The isolator interface: what a backend is given, and what it gives back."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class SandboxUnavailable(RuntimeError):
    """No isolation backend works here (or the one asked for does not)."""


@dataclass(frozen=True, slots=True)
class IsolationLimits:
    """What one sandboxed run may use.

    Attributes:
        memory_mb: Address space per process, in MiB (RLIMIT_AS).
        cpu_s: CPU seconds per process (RLIMIT_CPU; SIGXCPU, then SIGKILL a second later).
        max_processes: Processes at once (a pids cgroup when one can be made, else
            RLIMIT_NPROC over the user's processes already running).
        disk_mb: What the run folder may hold, in MiB (a tmpfs size, or a watch), and the
            largest file (RLIMIT_FSIZE).
        network: The program may use the host's network (never for model code; an MCP
            server whose entry allows it). Only the bwrap backend grants it (its own mount
            namespace hides the D-Bus and keyring sockets); the others keep the network
            closed whatever this says, so a caller that needs it checks the backend.
    """

    memory_mb: int = 1024
    cpu_s: int = 21
    max_processes: int = 64
    disk_mb: int = 256
    network: bool = False


@dataclass(slots=True)
class Launch:
    """A prepared sandboxed command: spawn `argv` with `env` and `preexec` in the child.

    Attributes:
        argv: The command line to spawn (the backend's wrapper around the program).
        env: The environment to spawn it with.
        preexec: Runs in the forked child before exec (limits, cgroup membership).
        cleanup: Kills what the run left and frees what `prepare` made; call it once the
            spawned process has ended or been killed.
        pass_fds: Descriptors the spawned process must inherit (closed by `cleanup`).
        outcome: Why the OS stopped the run (its memory cap), or ""; ask once the spawned
            process has ended, before `cleanup`.
    """

    argv: list[str]
    env: dict[str, str]
    preexec: Callable[[], None]
    cleanup: Callable[[], None] = field(default=lambda: None)
    pass_fds: tuple[int, ...] = ()
    outcome: Callable[[], str] = field(default=lambda: "")


class Isolator(Protocol):
    """One OS isolation backend."""

    name: str

    def prepare(
        self,
        *,
        argv: Sequence[str],
        run_folder: str,
        limits: IsolationLimits,
        env: Mapping[str, str],
        read_only: Sequence[str] = (),
    ) -> Launch:
        """The command that runs `argv` confined.

        Args:
            argv: The program and its arguments (an interpreter inside the prefix).
            run_folder: The only folder the program may write to; its working folder.
            limits: Memory, CPU, processes and disk.
            env: The program's whole environment (nothing else is passed).
            read_only: Extra files or folders the program may read (its script, its guard).
        """
        ...


def interpreter_paths() -> list[str]:
    """What the interpreter needs to read: its prefixes, a frozen build's folder, and libc."""
    paths = [sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))]
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False):
        paths.append(os.path.dirname(os.path.abspath(sys.executable)))
        if isinstance(bundle, str):
            paths.append(bundle)
    paths += ["/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/lib32",
              "/etc/ld.so.cache", "/etc/localtime", "/usr/share/zoneinfo"]
    unique: list[str] = []
    for path in paths:
        real = os.path.realpath(path)
        if os.path.exists(real) and real not in unique and real != "/":
            unique.append(real)
    return unique


def user_process_count() -> int:
    """How many processes this user has now (RLIMIT_NPROC counts them all)."""
    uid = os.getuid()
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                continue
    return count
