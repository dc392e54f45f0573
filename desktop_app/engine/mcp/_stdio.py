"""A stdio MCP server inside the OS sandbox: its process, and the SDK's message streams.

The SDK's own `stdio_client` spawns the server with CrewDesk's rights (it can read the
user's home, the keyring, the run history). Here the server runs inside the isolator that
`desktop_app.engine.sandbox.detect()` picks, as model-written code does: it sees its
command's prefix, the interpreter's, the files its arguments name and the spec's
`read_paths`, read-only; an empty, size-capped folder as its home and working folder; no
network unless the spec says `network=True`; none of CrewDesk's environment but `PATH`, the
locale and the spec's `env`. With no sandbox on this machine the server is not started.

Imported only in a connection's thread (it imports the `mcp` SDK).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import signal
import tempfile
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import anyio
import mcp_types
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage

from desktop_app.engine import sandbox
from desktop_app.engine.code_execution import kill_leftovers
from desktop_app.engine.mcp._config import McpError, McpServerSpec

_SAFE_ENV_NAMES = ("PATH", "LANG", "LC_ALL", "TZ")
_MARKER = "CREWDESK_SANDBOX_ROOT"  # the marker `kill_leftovers` looks for
_NETWORK_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl",
                  "/etc/ca-certificates", "/usr/share/ca-certificates", "/etc/pki")
_LINE_LIMIT = 32 * 1024 * 1024
_STOP_GRACE_S = 1.0
LIMITS = sandbox.IsolationLimits(memory_mb=8192, cpu_s=24 * 3600, max_processes=64, disk_mb=256)
"""A server lives as long as its run: generous CPU; address space for a JavaScript VM."""


@dataclass
class ServerProcess:
    """A prepared, then started, sandboxed server.

    Attributes:
        folder: Its home and working folder (removed when it stops).
        launch: The sandbox's command around the server's.
        stderr_tail: The last lines it wrote to stderr, for error messages.
    """

    folder: str
    launch: sandbox.Launch
    stderr_tail: deque[str] = field(default_factory=lambda: deque(maxlen=20))

    def said(self) -> str:
        """What it last wrote to stderr, as a clause for a message ("" when nothing)."""
        lines = [line for line in self.stderr_tail if line.strip()]
        return f"; it said: {' | '.join(lines[-5:])}" if lines else ""


def command_paths(command: list[str], path_variable: str) -> tuple[str, list[str]]:
    """The program to run (absolute) and what the server must read to start: the
    program's prefix (the folder above its `bin`), its real location's, and every
    argument that names an existing file or folder.

    Raises:
        McpError: The program is not found.
    """
    program = command[0]
    found = program if os.sep in program else shutil.which(program, path=path_variable)
    if found is None or not os.path.exists(found):
        raise McpError(f"the program '{program}' was not found (PATH: {path_variable})")
    found = os.path.abspath(found)
    readable: list[str] = []
    for place in (found, os.path.realpath(found)):
        folder = os.path.dirname(place)
        prefix = os.path.dirname(folder) if os.path.basename(folder) == "bin" else folder
        readable.append(prefix if prefix not in ("/", "") else place)
    for argument in command[1:]:
        if os.path.isabs(argument) and os.path.exists(argument):
            readable.append(os.path.realpath(argument))
    return found, list(dict.fromkeys(readable))


def server_environment(spec: McpServerSpec, folder: str) -> dict[str, str]:
    """The server's whole environment: harmless variables, its folder, the spec's `env`."""
    env = {name: os.environ[name] for name in _SAFE_ENV_NAMES if name in os.environ}
    env.setdefault("PATH", os.defpath)
    env.update(HOME=folder, TMPDIR=folder, PYTHONIOENCODING="utf-8",
               PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    env.update(spec.env)
    env[_MARKER] = folder
    return env


def prepare(spec: McpServerSpec) -> tuple[list[str], dict[str, str], ServerProcess]:
    """Makes the server's folder and wraps its command in the sandbox (blocking).

    Raises:
        McpError: No sandbox works here, or the program is not found.
    """
    detection = sandbox.detect()
    if detection.backend is None:
        raise McpError(f"stdio MCP servers run only inside the sandbox, and {detection.reason}; "
                       "install bubblewrap")
    folder = os.path.realpath(tempfile.mkdtemp(prefix="crewdesk-mcp-"))
    try:
        env = server_environment(spec, folder)
        program, readable = command_paths(list(spec.command), env["PATH"])
        readable += [os.path.realpath(p) for p in spec.read_paths if os.path.exists(p)]
        if spec.network:
            readable += [p for p in _NETWORK_FILES if os.path.exists(p)]
        limits = _with_network(LIMITS, detection.backend) if spec.network else LIMITS
        launch = detection.isolator().prepare(
            argv=[program, *spec.command[1:]], run_folder=folder, limits=limits, env=env,
            read_only=readable,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return launch.argv, launch.env, ServerProcess(folder, launch)


def _with_network(limits: sandbox.IsolationLimits, backend: str) -> sandbox.IsolationLimits:
    """The limits with the host's network allowed.

    Raises:
        McpError: The backend is not bwrap: only its own mount namespace also hides the
            D-Bus and keyring sockets a process with sockets could reach.
    """
    if backend != "bwrap":
        raise McpError(f"a stdio MCP server may use the network only inside bubblewrap, and "
                       f"this machine's sandbox is {backend}; turn its network off, or use "
                       "the server over HTTP")
    return dataclasses.replace(limits, network=True)


Streams = tuple[MemoryObjectReceiveStream[SessionMessage | Exception],
                MemoryObjectSendStream[SessionMessage]]


@contextlib.asynccontextmanager
async def sandboxed_stdio(spec: McpServerSpec, server: list[ServerProcess]) -> AsyncIterator[Streams]:
    """Starts the server in the sandbox and yields the SDK's read and write streams;
    on exit, stops it and everything it started, and removes its folder.

    Args:
        spec: The server.
        server: Receives the started `ServerProcess` (for its stderr in error messages).
    """
    argv, env, started = await asyncio.to_thread(prepare, spec)
    server.append(started)
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=started.folder, env=env,
            preexec_fn=started.launch.preexec, pass_fds=started.launch.pass_fds,  # noqa: PLW1509
            start_new_session=True, limit=_LINE_LIMIT,
        )
    except BaseException:
        await asyncio.to_thread(_clean_up, started)
        raise
    read_send, read_receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_send, write_receive = anyio.create_memory_object_stream[SessionMessage](0)
    async with anyio.create_task_group() as group:
        group.start_soon(_read_messages, process, read_send)
        group.start_soon(_write_messages, process, write_receive)
        group.start_soon(_read_stderr, process, started)
        try:
            yield read_receive, write_send
        finally:
            with anyio.CancelScope(shield=True):
                await _stop(process, started)
                read_receive.close()
                write_send.close()
            group.cancel_scope.cancel()


async def _read_messages(
    process: asyncio.subprocess.Process, send: MemoryObjectSendStream[SessionMessage | Exception]
) -> None:
    assert process.stdout is not None
    async with send:
        while line := await process.stdout.readline():
            text = line.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                message = mcp_types.jsonrpc_message_adapter.validate_json(text, by_name=False)
            except ValueError as exc:
                item: SessionMessage | Exception = exc
            else:
                item = SessionMessage(message)
            try:
                await send.send(item)
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                return


async def _write_messages(
    process: asyncio.subprocess.Process, receive: MemoryObjectReceiveStream[SessionMessage]
) -> None:
    assert process.stdin is not None
    async with receive:
        async for message in receive:
            data = message.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
            try:
                process.stdin.write(data.encode("utf-8"))
                await process.stdin.drain()
            except (ConnectionError, OSError):
                return


async def _read_stderr(process: asyncio.subprocess.Process, started: ServerProcess) -> None:
    assert process.stderr is not None
    while line := await process.stderr.readline():
        started.stderr_tail.append(line.decode("utf-8", errors="replace").rstrip())


async def _stop(process: asyncio.subprocess.Process, started: ServerProcess) -> None:
    """Closes the server's stdin, waits a little, then ends it and what it left."""
    if process.stdin is not None:
        process.stdin.close()
    for ask in (None, signal.SIGTERM):
        if ask is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(ask)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_exited(process), _STOP_GRACE_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await _exited(process)
    await asyncio.to_thread(_clean_up, started)


async def _exited(process: asyncio.subprocess.Process) -> None:
    """Waits for the process to be reaped (not for its pipes: a child may hold them)."""
    while process.returncode is None:  # noqa: ASYNC110 - Process.wait also waits for pipes
        await asyncio.sleep(0.02)


def _clean_up(started: ServerProcess) -> None:
    started.launch.cleanup()
    kill_leftovers(started.folder)
    shutil.rmtree(started.folder, ignore_errors=True)
