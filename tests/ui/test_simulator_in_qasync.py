"""The simulator serves from inside a qasync loop too (qasync's `call_at` returns a plain
`Handle`, with no `when()`), so GUI tests and the app can host it on the GUI loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_app.engine import LLM, Agent, Crew, Task
from desktop_app.simulator import Simulator, SimulatorConfig


def test_crews_stream_from_a_simulator_on_the_qasync_loop(arun: Callable[..., Any]) -> None:
    async def scenario() -> list[str]:
        async with Simulator(SimulatorConfig(ttft=0.01, tokens_per_second=500.0)) as sim:
            llm = LLM("openai/sim:tokens=30", base_url=sim.base_url, api_key="sk-test")
            agent = Agent(role="A", goal="g", backstory="b", llm=llm)
            crew = Crew(tasks=[Task(description="Item {n}", expected_output="x", agent=agent)])
            outputs = await crew.akickoff_for_each([{"n": i} for i in range(5)])
            return [out.raw for out in outputs]

    raws = arun(scenario())
    assert [raw.split(".")[0] for raw in raws] == [
        f"Answer to: Current Task: Item {i}" for i in range(5)
    ]
