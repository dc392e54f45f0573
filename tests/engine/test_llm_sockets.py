"""No connection is left open after a run, failed ones included (a `ResourceWarning` at exit).

Leaks that only show when the interpreter exits (a pooled connection of a client that lives as
long as the process) are invisible to an in-process test, so the runs happen in a child
Python with `ResourceWarning` made an error and a `gc.collect()` after each run; an unclosed
socket, then or at exit, is printed on its stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop_app.simulator import SimulatorThread

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import asyncio, gc, os, warnings

    warnings.simplefilter("error", ResourceWarning)

    from desktop_app.engine import LLM, Agent, Crew, Task
    from desktop_app.engine.errors import TaskExecutionError

    def crew(settings):
        llm = LLM(model="openai/sim:" + settings, base_url=os.environ["SIM_URL"],
                  api_key="sk-test", retry_base_delay=0.01)
        agent = Agent(role="Writer", goal="Write", backstory="Writes.", llm=llm)
        task = Task(description="Write.", expected_output="A line.", agent=agent)
        return Crew(agents=[agent], tasks=[task])

    for settings in os.environ["SIM_SETTINGS"].split():
        for run in (lambda c: c.kickoff(), lambda c: asyncio.run(c.akickoff())):
            try:
                run(crew(settings))
            except TaskExecutionError as exc:
                assert "400" in str(exc), exc
            gc.collect()
    print("RAN", flush=True)
""")


@pytest.mark.parametrize("settings", ["status=400 status=400", "tokens=3 status=400"])
def test_runs_that_fail_with_400_leave_no_socket_open(
    sim_thread: SimulatorThread, settings: str
) -> None:
    """Blocking and async runs, each model in turn (`sim:<settings>`), on the default client."""
    env = {**os.environ, "SIM_URL": sim_thread.base_url, "SIM_SETTINGS": settings,
           "PYTHONPATH": str(ROOT)}
    env.pop("CREWDESK_LLM_CLIENT", None)
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", CHILD], capture_output=True, text=True, env=env,
        timeout=120, check=False, cwd=ROOT,
    )
    assert "RAN" in done.stdout and done.returncode == 0, done.stderr[-2000:]
    assert "ResourceWarning" not in done.stderr, done.stderr[-2000:]
