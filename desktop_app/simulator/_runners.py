"""Ways to run the simulator outside the caller's event loop: a thread or a process."""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from desktop_app.simulator._config import SimulatorConfig
from desktop_app.simulator._server import Simulator
from desktop_app.simulator._stats import SimulatorStats

URL_LINE_PREFIX = "CREWDESK_SIMULATOR_URL="
"""The first line ``python -m desktop_app.simulator`` prints, followed by the base URL."""

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class SimulatorThread:
    """The simulator on a private event loop in a daemon thread, for synchronous code.

    Use it as ``with SimulatorThread(config) as sim:``; ``sim.base_url``, ``sim.root_url``
    and ``sim.stats`` work as on ``Simulator``.
    """

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        """Prepare; nothing runs before ``start``."""
        self.simulator = Simulator(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL of the running server, ``http://127.0.0.1:PORT/v1``."""
        return self.simulator.base_url

    @property
    def root_url(self) -> str:
        """The root URL of the running server, ``http://127.0.0.1:PORT``, under which the
        search and scrape endpoints live (``root_url + "/serper/search"``...)."""
        return self.simulator.root_url

    @property
    def port(self) -> int:
        """The port of the running server."""
        return self.simulator.port

    @property
    def stats(self) -> SimulatorStats:
        """The server's stats (safe to read from this thread)."""
        return self.simulator.stats

    def start(self, timeout: float = 10.0) -> None:
        """Start the thread and wait until the server listens.

        Raises:
            RuntimeError: Already started, or the server did not start in time.
        """
        if self._thread is not None:
            raise RuntimeError("the simulator thread is already started")
        loop = asyncio.new_event_loop()
        started = asyncio.run_coroutine_threadsafe(self.simulator.start(), loop)
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="crewdesk-simulator",
                                        daemon=True)
        self._thread.start()
        try:
            started.result(timeout)
        except BaseException:
            self.stop(timeout)
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server, the loop and the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        try:
            if thread.is_alive():
                asyncio.run_coroutine_threadsafe(self.simulator.stop(), loop).result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            if not thread.is_alive():
                loop.close()

    def __enter__(self) -> Self:
        """Start the server."""
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Stop the server."""
        self.stop()


def command_line(config: SimulatorConfig) -> list[str]:
    """Return the ``python -m desktop_app.simulator`` arguments that reproduce ``config``."""
    args = [sys.executable, "-m", "desktop_app.simulator", "--host", config.host,
            "--port", str(config.port), "--ttft", repr(config.ttft),
            "--tps", repr(config.tokens_per_second), "--tokens", str(config.tokens)]
    optional: dict[str, object] = {
        "--status": config.status, "--retry-after": config.retry_after,
        "--fail-times": config.fail_times, "--drop-after": config.drop_after,
        "--bytes": config.reply_bytes,
    }
    for flag, value in optional.items():
        if value is not None:
            args += [flag, str(value)]
    args += ["--hang"] if config.hang else []
    args += ["--malformed"] if config.malformed else []
    args += [] if config.structured else ["--no-structured"]
    return args


class SimulatorProcess:
    """The simulator in a child process, so a benchmark's client keeps its CPU to itself.

    Use it as ``with SimulatorProcess(config) as sim:``. The process prints its URL on its
    first line; it is terminated on exit.
    """

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        """Prepare; nothing runs before ``start``."""
        self.config = config or SimulatorConfig()
        self._process: subprocess.Popen[str] | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL the child printed."""
        if self._base_url is None:
            raise RuntimeError("the simulator process is not started")
        return self._base_url

    @property
    def root_url(self) -> str:
        """The root URL (search and scrape endpoints), the base URL less ``/v1``."""
        return self.base_url.removesuffix("/v1")

    @property
    def port(self) -> int:
        """The port the child listens on."""
        return int(self.base_url.rsplit(":", 1)[1].split("/", 1)[0])

    @property
    def pid(self) -> int:
        """The child's process id."""
        if self._process is None:
            raise RuntimeError("the simulator process is not started")
        return self._process.pid

    def start(self, timeout: float = 30.0) -> None:
        """Start the child and wait for its URL line.

        Raises:
            RuntimeError: Already started, or no URL line came in time.
        """
        if self._process is not None:
            raise RuntimeError("the simulator process is already started")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        self._process = subprocess.Popen(command_line(self.config), stdout=subprocess.PIPE,
                                         text=True, env=env)
        assert self._process.stdout is not None
        line = _read_line(self._process.stdout, timeout)
        if not line.startswith(URL_LINE_PREFIX):
            self.stop()
            raise RuntimeError(f"the simulator process did not print its URL (got {line!r})")
        self._base_url = line.removeprefix(URL_LINE_PREFIX).strip()

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the child (kill it if it does not exit in time)."""
        process, self._process = self._process, None
        self._base_url = None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def fetch_stats(self, timeout: float = 10.0) -> dict[str, Any]:
        """Return the child's counters (``GET /stats``)."""
        with urllib.request.urlopen(f"{self.root_url}/stats", timeout=timeout) as response:
            counters: dict[str, Any] = json.load(response)
        return counters

    def __enter__(self) -> Self:
        """Start the child."""
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Terminate the child."""
        self.stop()


def _read_line(stream: IO[str], timeout: float) -> str:
    """Read one line from a pipe, giving up after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                return stream.readline()
    return ""
