"""A CrewDesk-like process to kill: 20 crews streaming into the run history.

Run as `python -m tests.reliability.crash_child DB BASE_URL`. It records each run as the
dashboard does (start, every streamed piece through `append_text`, a flush every 0.5 s) and
prints, every 50 ms, one JSON line: the wall time and the characters each run has received.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from desktop_app.engine import LLM, Agent, Crew, Task
from desktop_app.engine.events import TextDelta
from desktop_app.storage.history import RunHistory

CREWS = 20


async def _run(crew: Crew, history: RunHistory, index: int, received: dict[str, int]) -> None:
    run_id = await history.start_run("Crash test", inputs={"n": index})
    received[run_id] = 0
    async for event in crew.stream_events({"n": index}):
        if isinstance(event, TextDelta):
            history.append_text(run_id, event.task_index, event.content)
            received[run_id] += len(event.content)


async def _report(received: dict[str, int]) -> None:
    while True:
        print(json.dumps({"t": time.time(), "received": received}), flush=True)
        await asyncio.sleep(0.05)


async def main(db: Path, base_url: str) -> None:
    """Streams 20 long answers until killed."""
    llm = LLM(model="openai/sim:tps=40,tokens=4000", base_url=base_url, api_key="sk-crash")
    agent = Agent(role="Writer", goal="Write", backstory="Long-winded.", llm=llm)
    crew = Crew(tasks=[Task(description="Write about {n}", expected_output="text", agent=agent)])
    history = RunHistory(db)
    await history.open()
    received: dict[str, int] = {}
    async with asyncio.TaskGroup() as group:
        group.create_task(history.run_autoflush(0.5))
        group.create_task(_report(received))
        for index in range(CREWS):
            group.create_task(_run(crew, history, index, received))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
