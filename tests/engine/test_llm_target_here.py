"""`force_llm_target_here`: one context's model calls go to a forced target, others' do not.

Two simulators over real HTTP: "forced" (the dry run's simulator) and "own" (where the
crews' own LLMs point). Two crews run at once on one loop; only the one started inside the
context reaches the forced simulator, a sync crew kicked off in a worker thread of that
context too (a flow's sync step), and the target ends with the block.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from desktop_app.engine import LLM, Agent, Crew, Task
from desktop_app.engine.llm import LLMTarget, force_llm_target_here, route_llm_targets_here
from desktop_app.simulator import SimulatorConfig, SimulatorThread


@pytest.fixture
def own() -> Iterator[SimulatorThread]:
    with SimulatorThread(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as server:
        yield server


def _crew(base_url: str, name: str) -> Crew:
    llm = LLM("openai/gpt-4o", base_url=base_url, api_key="sk-own")
    agent = Agent(role=f"{name} writer", goal="Write", backstory="Writes.", llm=llm)
    task = Task(description=f"Write one line for {name}.", expected_output="A line",
                agent=agent)
    return Crew(agents=[agent], tasks=[task], name=name)


def _models(server: SimulatorThread) -> list[str]:
    return [str(r.body.get("model")) for r in server.stats.requests
            if r.path.endswith("/chat/completions")]


def test_only_the_context_and_what_it_starts_go_to_the_forced_target(
    sim_thread: SimulatorThread, own: SimulatorThread
) -> None:
    async def forced_side() -> tuple[str, str]:
        with force_llm_target_here("openai/sim-forced", sim_thread.base_url, "sk-sim"):
            in_task = await _crew(own.base_url, "dry").akickoff()
            in_thread = await asyncio.to_thread(_crew(own.base_url, "sync").kickoff)
        return in_task.raw, in_thread.raw

    async def main() -> None:
        (dry, sync), real = await asyncio.gather(
            forced_side(), _crew(own.base_url, "real").akickoff())
        assert dry and sync and real.raw

    asyncio.run(main())
    forced, kept = _models(sim_thread), _models(own)
    assert len(forced) == 2 and set(forced) == {"sim-forced"}, forced
    assert kept == ["gpt-4o"], kept
    assert LLM("openai/gpt-4o").target().base_url is None  # ended with the block


def test_a_context_route_sends_its_calls_where_it_says_and_a_forced_target_wins(
    sim_thread: SimulatorThread, own: SimulatorThread
) -> None:
    def route(target: LLMTarget) -> LLMTarget | None:
        return LLMTarget(target.model, sim_thread.base_url, "sk-routed")

    async def routed_side() -> str:
        with route_llm_targets_here(route):
            assert LLM("openai/gpt-4o", base_url="http://x.invalid").target().api_key == (
                "sk-routed")
            with force_llm_target_here("openai/sim-forced", own.base_url, "sk-sim"):
                assert LLM("gpt-4o").target().base_url == own.base_url
            return (await _crew(own.base_url, "routed").akickoff()).raw

    async def main() -> None:
        routed, plain = await asyncio.gather(routed_side(), _crew(own.base_url, "plain").akickoff())
        assert routed and plain.raw

    asyncio.run(main())
    assert _models(sim_thread) == ["gpt-4o"] and _models(own) == ["gpt-4o"]
    assert LLM("gpt-4o").target().api_key is None  # ended with the block
