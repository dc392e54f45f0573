"""What CrewAI's agent does around one task's execution: `max_execution_time`,
`max_retry_limit`, the prompt additions of `markdown` and `inject_date`, and where the
answer goes afterwards (`output_file`, the crew's `output_log_file`).

- `max_execution_time`: the agent's execution of the task (its LLM calls and tools up to
  its answer, as CrewAI's `Agent.execute_task`) must end within that many seconds, else the task fails with a
  `TaskTimeoutError` naming the agent and the limit; a timeout is not retried (as CrewAI).
  On the async path the work is cancelled at the limit; on the blocking path (`kickoff`),
  where LLM calls block the loop, a timer marks the task's thread expired (`expired_here`,
  which the run's `cancelled()` reads) and the streaming call stops at its next chunk.
- `max_retry_limit`: a failed execution runs again from the start, up to that many times
  (as CrewAI; guardrail and output-model failures are the task's, not retried here). The
  engine's deliberate errors (`CrewError`: a model error the LLM client already retried,
  a timeout, a tool's missing key) and cancels are not retried, as CrewAI passes its own
  through.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from desktop_app.engine.errors import CrewError, TaskTimeoutError
from desktop_app.engine.outputs import TaskOutput

log = logging.getLogger("desktop_app.engine")

T = TypeVar("T")

MARKDOWN_INSTRUCTION = """Your final answer MUST be formatted in Markdown syntax.
Follow these guidelines:
- Use # for headers
- Use ** for bold text
- Use * for italic text
- Use - or * for bullet points
- Use `code` for inline code
- Use ```language for code blocks"""
"""CrewAI's text for `Task(markdown=True)`, word for word."""


class LimitedAgent(Protocol):
    """The agent settings this module reads (a run's `PreparedAgent`)."""

    role: str
    max_execution_time: float | None
    max_retry_limit: int


class LimitedTask(Protocol):
    """The task fields this module reads and sets (a run's `PreparedTask`)."""

    index: int
    name: str | None

    @property
    def agent(self) -> LimitedAgent: ...


_expiry = threading.local()


def expired_here() -> bool:
    """Whether the blocking task running on this thread has passed its time limit."""
    flag: threading.Event | None = getattr(_expiry, "flag", None)
    return flag is not None and flag.is_set()


async def run_with_limits(
    task: LimitedTask, blocking: bool, work: Callable[[], Awaitable[T]]
) -> T:
    """Runs `work` (the agent's execution of the task, up to its answer) within the agent's
    time limit, again after a failure up to the agent's `max_retry_limit`.

    Raises:
        TaskTimeoutError: The limit passed.
    """
    retries = task.agent.max_retry_limit
    attempt = 0
    while True:
        try:
            return await _timed(task, blocking, work)
        except CrewError:
            raise
        except Exception as exc:
            if attempt >= retries:
                raise
            error: Exception = exc
        attempt += 1
        log.info(
            "agent '%s' failed task %s (%s); retry %d of %d (max_retry_limit)",
            task.agent.role, task.index + 1, error, attempt, retries,
        )


async def _timed(task: LimitedTask, blocking: bool, work: Callable[[], Awaitable[T]]) -> T:
    limit = task.agent.max_execution_time
    if limit is None:
        return await work()
    if not blocking:
        try:
            async with asyncio.timeout(limit):
                return await work()
        except TimeoutError:
            raise TaskTimeoutError(task.agent.role, limit) from None
    expired = threading.Event()
    timer = threading.Timer(limit, expired.set)
    timer.daemon = True
    outer: threading.Event | None = getattr(_expiry, "flag", None)
    _expiry.flag = expired
    timer.start()
    try:
        return await work()
    except asyncio.CancelledError:
        if expired.is_set():
            raise TaskTimeoutError(task.agent.role, limit) from None
        raise
    finally:
        timer.cancel()
        _expiry.flag = outer


def prompt_additions(*, markdown: bool, inject_date: bool, date_format: str) -> str:
    """The text CrewAI adds to a task's prompt for `markdown` and `inject_date`."""
    parts = [MARKDOWN_INSTRUCTION] if markdown else []
    if inject_date:
        try:
            parts.append(f"Current Date: {datetime.now().strftime(date_format)}")
        except ValueError:
            log.warning("inject_date: the date_format %r is not valid; no date sent", date_format)
    return "\n\n".join(parts)


def file_content(output: TaskOutput) -> str:
    """What `output_file` receives, as CrewAI: the JSON of an `output_json` answer (indented),
    the JSON of an `output_pydantic` answer, else the raw answer."""
    if output.output_format == "json" and output.json_dict:
        return json.dumps(output.json_dict, ensure_ascii=False, indent=2)
    if output.pydantic is not None:
        return output.pydantic.model_dump_json()
    return output.raw


def save_output(output_file: str, create_directory: bool, output: TaskOutput) -> None:
    """Writes the answer to the task's `output_file` as CrewAI does (blocking).

    Raises:
        FileNotFoundError: The folder is missing and `create_directory` is False.
    """
    path = Path(output_file).expanduser()
    check_output_folder(path, create_directory)
    write_atomically(path, file_content(output))


def check_output_folder(path: Path, create_directory: bool) -> None:
    """Raises when the folder of `output_file` is missing and may not be made (blocking).

    Raises:
        FileNotFoundError: The folder is missing and `create_directory` is False.
    """
    folder = path.expanduser().resolve().parent
    if not create_directory and not folder.exists():
        raise FileNotFoundError(
            f"output_file: the folder {folder} does not exist and create_directory is False"
        )


class RunLogFile:
    """The crew's `output_log_file`, in CrewAI's formats (blocking: call from a thread).

    True writes "logs.txt" in the working folder; a path ending in ".json" keeps a JSON list
    of entries; any other path is a text file (".txt" added when it has neither suffix),
    one line per entry: `2026-12-05 21:00:00: task_name="...", task="...", ...`.
    """

    _locks: dict[str, threading.Lock] = {}
    _locks_guard = threading.Lock()

    def __init__(self, setting: bool | str) -> None:
        if setting is True:
            self.path = Path("logs.txt")
        elif isinstance(setting, str) and setting:
            self.path = Path(setting if setting.endswith((".json", ".txt")) else setting + ".txt")
        else:
            raise ValueError("output_log_file must be True or a file path")
        with self._locks_guard:
            self._lock = self._locks.setdefault(str(self.path.resolve()), threading.Lock())

    def log(self, **fields: Any) -> None:
        """Appends one entry (a timestamp, then `fields` in order)."""
        now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        with self._lock:
            if self.path.suffix == ".json":
                self._log_json({"timestamp": now, **fields})
                return
            line = ", ".join(f'{key}="{value}"' for key, value in fields.items())
            with self.path.open("a", encoding="utf-8") as file:
                file.write(f"{now}: {line}\n")

    def _log_json(self, entry: dict[str, Any]) -> None:
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(entries, list):
                entries = []
        except (OSError, ValueError):
            entries = []
        entries.append(entry)
        self.path.write_text(json.dumps(entries, indent=4) + "\n", encoding="utf-8")


def write_atomically(path: Path, text: str) -> None:
    """Writes `text` to `path` through a temporary file in the same folder (blocking).

    The file keeps the mode of the file it replaces (0o644 for a new one), not the private
    mode of the temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
