"""Helpers for the MCP tests: the fixture server as a stdio spec, or over HTTP."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from desktop_app.engine.mcp import McpServerSpec

FIXTURE = str(Path(__file__).with_name("mcp_server_fixture.py"))


def stdio_spec(name: str = "fixture", **options: object) -> McpServerSpec:
    """The fixture server, run over stdio by this interpreter."""
    return McpServerSpec(name=name, command=(sys.executable, FIXTURE), **options)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def http_server() -> Iterator[str]:
    """The fixture server on streamable HTTP in a subprocess; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, FIXTURE, "--http", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(10)


def processes_marked(folder: str) -> list[int]:
    """The processes whose environment carries the sandbox marker of `folder`."""
    marker = f"CREWDESK_SANDBOX_ROOT={folder}".encode()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def own_server_processes() -> list[int]:
    """This process's descendants that carry an MCP server's sandbox marker."""
    parents: dict[int, int] = {}
    marked: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            if b"CREWDESK_SANDBOX_ROOT=/tmp/crewdesk-mcp-" in (entry / "environ").read_bytes() \
                    or b"crewdesk-mcp-" in (entry / "cmdline").read_bytes():
                marked.add(int(entry.name))
    me = os.getpid()

    def mine(pid: int) -> bool:
        seen = 0
        while pid in parents and seen < 64:
            pid, seen = parents[pid], seen + 1
            if pid == me:
                return True
        return False

    return sorted(pid for pid in marked if mine(pid))
