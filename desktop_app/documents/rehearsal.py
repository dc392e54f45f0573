"""Rehearsal: what a crew will cost, found by running it once on the offline simulator.

The crew is built as for a real run, keeps its real model names, and every call goes to a
local simulator (`force_llm_target_here`: the models stay, the endpoint and key are the
simulator's; search tools ask the simulator too). The simulator answers like an agent model
(tool calls, structured output, delegation), so the run makes the calls the real one would,
and the engine prices each at the real model's price (`engine._price_table`, litellm's price
file read locally). The result counts calls and tokens per task and per agent, and prices
them: "about 14 calls, 38k tokens, $0.21; this 200-row batch about $42".

Nothing here imports Qt: `crewdesk rehearse` and the designer's Rehearse action both call
`rehearse`. Tokens are the simulator's (one a word, answers of its default length), so the
figure is a forecast of the crew's shape, not of a model's verbosity.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.documents.build import build_crew
from desktop_app.documents.model import CrewDocument

if TYPE_CHECKING:
    from desktop_app.engine import Crew
    from desktop_app.engine.events import RunEvent

__all__ = ["REHEARSAL_KEY", "Rehearsal", "TaskEstimate", "rehearse", "short_tokens"]

REHEARSAL_KEY = "sk-rehearsal"
"""The key every call of a rehearsal sends (to the simulator only)."""


@dataclass(slots=True)
class TaskEstimate:
    """The calls of one task (or of the run outside any task: planning, `index` -1)."""

    index: int
    name: str
    model: str
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    priced: bool = True
    agents: dict[str, float] = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(slots=True)
class Rehearsal:
    """What one run of the crew cost on the simulator, priced at its real models."""

    tasks: list[TaskEstimate]
    finished: bool = True
    error: str | None = None

    @property
    def calls(self) -> int:
        """LLM calls of the whole run."""
        return sum(task.calls for task in self.tasks)

    @property
    def tokens(self) -> int:
        """Tokens of the whole run."""
        return sum(task.tokens for task in self.tasks)

    @property
    def cost_usd(self) -> float:
        """Dollars of the whole run (unpriced models count nothing; see `unpriced`)."""
        return sum(task.cost_usd for task in self.tasks)

    @property
    def unpriced(self) -> list[str]:
        """Models with calls but no known price."""
        return sorted({task.model for task in self.tasks if task.calls and not task.priced})

    def by_agent(self) -> dict[str, float]:
        """Dollars per agent role."""
        totals: dict[str, float] = {}
        for task in self.tasks:
            for role, cost in task.agents.items():
                totals[role] = totals.get(role, 0.0) + cost
        return totals

    def summary(self, rows: int = 1) -> str:
        """"about 14 calls, 38k tokens, $0.21; this 200-row batch about $42"."""
        calls = "1 call" if self.calls == 1 else f"{self.calls} calls"
        text = (f"about {calls}, {short_tokens(self.tokens)} tokens, "
                f"{dollars(self.cost_usd)}")
        if rows > 1:
            text += f"; this {rows}-row batch about {dollars(self.cost_usd * rows)}"
        if self.unpriced:
            text += f" (no known price for {', '.join(self.unpriced)})"
        return text


def short_tokens(tokens: float) -> str:
    """38,200 -> "38k"; 950 -> "950"."""
    if tokens >= 10_000:
        return f"{tokens / 1000:.0f}k"
    if tokens >= 1000:
        return f"{tokens / 1000:.1f}k"
    return f"{tokens:.0f}"


def dollars(value: float) -> str:
    """$42, $0.21, and two significant digits below a cent: $0.000041."""
    if value >= 10:
        return f"${value:,.0f}"
    if value >= 0.01 or value <= 0:
        return f"${value:.2f}"
    decimals = 1 - math.floor(math.log10(value))
    return f"${value:.{decimals}f}"


async def rehearse(
    document: CrewDocument,
    inputs: Mapping[str, Any] | None = None,
    *,
    base_dir: Path | None = None,
    base_url: str | None = None,
) -> Rehearsal:
    """Runs the crew once on a simulator and counts and prices its calls.

    Args:
        document: The crew (it must have no problems).
        inputs: Values of its placeholders (default: its first input set).
        base_dir: Its folder (knowledge and output paths start there).
        base_url: A running simulator's OpenAI base URL; None starts a fast one for this
            rehearsal (in a worker thread) and stops it after.

    Raises:
        CrewFileError: The crew cannot be built.
    """
    values = dict(document.default_inputs() if inputs is None else inputs)
    if base_url is not None:
        return await _rehearse_at(document, values, base_dir, base_url)
    from desktop_app.simulator import SimulatorConfig, SimulatorThread

    sim = SimulatorThread(SimulatorConfig(ttft=0.0, tokens_per_second=20_000.0))
    await asyncio.to_thread(sim.__enter__)
    try:
        return await _rehearse_at(document, values, base_dir, sim.base_url)
    finally:
        await asyncio.to_thread(sim.__exit__, None, None, None)


@contextmanager
def _on_simulator(base_url: str) -> Iterator[None]:
    from desktop_app.engine.llm import force_llm_target_here
    from desktop_app.engine.toolkit.simulated import simulated_services_here

    root = base_url.removesuffix("/v1")
    with force_llm_target_here(None, base_url, REHEARSAL_KEY), simulated_services_here(root):
        yield


async def _rehearse_at(document: CrewDocument, inputs: dict[str, Any], base_dir: Path | None,
                       base_url: str) -> Rehearsal:
    from desktop_app.engine import CrewError

    crew = await asyncio.to_thread(
        build_crew, document, stream=True, base_dir=base_dir,
        resolve_api_key=lambda _spec: REHEARSAL_KEY)
    crew.set_budget(None, per_batch=None)  # a rehearsal is never stopped by the crew's budget
    crew.human_input_handler = lambda _request: ""  # every answer approved at once
    tally = _Tally(crew)
    with _on_simulator(base_url):
        stream = crew.stream_events(inputs)
        try:
            async for event in stream:
                tally.take(event)
            stream.value()
        except CrewError as exc:
            return Rehearsal(tally.tasks(), finished=False, error=str(exc))
        finally:
            await stream.aclose()
    return Rehearsal(tally.tasks())


class _Tally:
    """Splits the run's usage events (run totals so far) into per-task and per-agent parts."""

    def __init__(self, crew: Crew) -> None:
        self._found: dict[int, TaskEstimate] = {}
        for index, task in enumerate(crew.tasks):
            agent = crew.agent_for(task)
            model = agent.resolved_llm().model
            self._found[index] = TaskEstimate(index, task.name or f"task {index + 1}", model)
        self._last = (0, 0, 0, 0.0)

    def take(self, event: RunEvent) -> None:
        """Adds what a `UsageUpdated` (or the closing `RunFinished`) added to the totals."""
        if event.kind == "usage":
            usage, cost, index, role = event.usage, event.cost_usd, event.task_index, event.agent_role
        elif event.kind == "run_finished":
            usage, cost, index, role = event.output.token_usage, event.cost_usd, -1, ""
        else:
            return
        now = (usage.successful_requests, usage.prompt_tokens, usage.completion_tokens,
               cost or 0.0)
        calls, prompt, completion, dollars = (a - b for a, b in zip(now, self._last, strict=True))
        self._last = now
        if not calls and not prompt and not completion:
            return
        task = self._found.setdefault(index, TaskEstimate(index, "outside tasks", "planning"))
        task.calls += int(calls)
        task.prompt_tokens += int(prompt)
        task.completion_tokens += int(completion)
        task.cost_usd += float(dollars)
        task.priced = task.priced and dollars > 0
        if role:
            task.agents[role] = task.agents.get(role, 0.0) + float(dollars)

    def tasks(self) -> list[TaskEstimate]:
        """The tasks in order, then what ran outside any task (if anything did)."""
        return [self._found[index] for index in sorted(self._found, key=lambda i: (i < 0, i))]
