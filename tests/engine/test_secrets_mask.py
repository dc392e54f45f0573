"""Known keys are masked wherever run text leaves the engine (issue 12, point 4)."""

from __future__ import annotations

import json
import threading

import pytest

from desktop_app.engine import (
    LLM,
    Agent,
    Crew,
    LLMError,
    RunEvent,
    Task,
    TaskExecutionError,
    bus,
    mask_secrets,
    register_secrets,
)
from desktop_app.engine._secrets_mask import masked_form
from desktop_app.engine.toolkit._keys import key_for
from desktop_app.simulator import SimulatorThread

KEY = "sk-proj-mask0test1key2abcd"
"""The key the engine is given (never printed, sent to the model or kept by a run)."""


def test_a_registered_key_is_masked_to_its_prefix_and_last_four() -> None:
    register_secrets(["sk-unit-0123456789wxyz", None, "", "short"])
    assert mask_secrets("key=sk-unit-0123456789wxyz.") == "key=sk-…wxyz."
    assert mask_secrets("short stays") == "short stays"
    assert masked_form("abcdefghij") == "…"  # too short to show any of it


def test_registering_from_many_threads_loses_no_key() -> None:
    keys = [f"thread-key-{n:04d}-0123456789" for n in range(64)]
    threads = [threading.Thread(target=register_secrets, args=([key],)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(key not in mask_secrets(" ".join(keys)) for key in keys)


def test_keys_the_engine_is_given_or_finds_are_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    LLM(model="openai/gpt-4o-mini", api_key="sk-given-to-an-llm-0001")
    monkeypatch.setenv("SERPER_API_KEY", "serper-key-from-env-0002")
    assert key_for("SERPER_API_KEY") == "serper-key-from-env-0002"
    text = mask_secrets("sk-given-to-an-llm-0001 serper-key-from-env-0002")
    assert text == "sk-…0001 …0002"


def test_an_error_that_echoes_a_key_is_masked() -> None:
    register_secrets(["sk-echoed-by-provider-0003"])
    error = LLMError("auth", "Incorrect API key provided: sk-echoed-by-provider-0003",
                     provider="openai", model="gpt-4o")
    assert "sk-echoed-by-provider-0003" not in str(error)
    assert "sk-…0003" in str(TaskExecutionError(0, None, "A", error))


def test_code_that_prints_a_key_leaks_it_nowhere(
    sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREWDESK_TEST_KEY", KEY)
    code = ("import os\nprint(os.environ.get('CREWDESK_TEST_KEY'))\n"
            f"print({KEY[:9]!r} + {KEY[9:]!r})")  # what the sandbox hides, spelled out
    script = f"sim-call: code_interpreter {json.dumps({'code': code})}"
    llm = LLM(model="openai/sim", base_url=sim_thread.base_url, api_key=KEY)
    agent = Agent(role="Coder", goal="g", backstory="b", llm=llm, allow_code_execution=True)
    steps: list[str] = []
    crew = Crew(tasks=[Task(description=script, expected_output="x", agent=agent)],
                step_callback=lambda step: steps.append(step.output))
    events: list[RunEvent] = []
    unsubscribe = bus.subscribe(events.append)
    try:
        output = crew.kickoff()
    finally:
        unsubscribe()
    finished = [event for event in events if event.kind == "tool_result"]
    assert len(finished) == 1 and "sk-…abcd" in getattr(finished[0], "output", "")
    sent = [json.dumps(r.body, ensure_ascii=False) for r in sim_thread.stats.requests]
    assert len(sent) == 2 and "sk-…abcd" in sent[1]
    everything = [*sent, output.raw, *steps, *(event.model_dump_json() for event in events)]
    assert not [text for text in everything if KEY in text]
