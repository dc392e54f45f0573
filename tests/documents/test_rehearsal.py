"""Rehearsal (`documents.rehearsal`): a crew run once on the simulator, its calls and tokens
counted per task and priced at its real models."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from desktop_app.documents import load_crew
from desktop_app.documents.rehearsal import rehearse, short_tokens
from desktop_app.engine import _price_table
from desktop_app.simulator import SimulatorConfig, SimulatorThread

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def test_the_counts_are_the_calls_the_simulator_answered_priced_at_the_real_model() -> None:
    document = load_crew(EXAMPLES / "research_writer.crew.yaml")
    with SimulatorThread(SimulatorConfig(ttft=0.0, tokens_per_second=5000.0)) as sim:
        rehearsal = asyncio.run(rehearse(document, base_url=sim.base_url))
        chats = [r for r in sim.stats.requests if r.path.endswith("/chat/completions")]
    assert rehearsal.finished and rehearsal.error is None
    assert rehearsal.calls == len(chats) == 2
    assert [r.model for r in chats] == ["gpt-4o-mini", "gpt-4o-mini"]  # the real model named
    assert [task.calls for task in rehearsal.tasks] == [1, 1]
    assert rehearsal.tasks[1].prompt_tokens > rehearsal.tasks[0].prompt_tokens  # the context
    price = _price_table.price_of("openai", "gpt-4o-mini")
    assert price is not None
    prompt = sum(task.prompt_tokens for task in rehearsal.tasks)
    completion = sum(task.completion_tokens for task in rehearsal.tasks)
    assert rehearsal.cost_usd == pytest.approx(prompt * price[0] + completion * price[1])
    assert set(rehearsal.by_agent()) == {"Senior research analyst", "Technical writer"}
    summary = rehearsal.summary(rows=200)
    assert summary.startswith("about 2 calls, ") and "this 200-row batch about $" in summary


def test_a_rehearsal_starts_its_own_simulator_when_given_none() -> None:
    document = load_crew(EXAMPLES / "research_writer.crew.yaml")
    rehearsal = asyncio.run(rehearse(document, {"topic": "tides"}))
    assert rehearsal.calls == 2 and rehearsal.unpriced == []


def test_short_token_figures() -> None:
    assert [short_tokens(n) for n in (950, 1500, 38_200)] == ["950", "1.5k", "38k"]
