"""Odd content reaches the model unchanged: braces, JSON, long text, non-Latin, controls.

As in CrewAI, `{name}` is replaced wherever it stands (also inside `{{...}}`) when `name` is
an input; other braces stay as they are, and input values are never interpolated again.

Through a saved and reloaded crew file, `build_crew` and the engine, to the request bodies
the simulator records.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.documents import (
    AgentSpec,
    CrewDocument,
    TaskSpec,
    build_crew,
    load_crew,
    override_llm,
    save_crew,
)
from desktop_app.simulator import Simulator

ODD_INPUTS = {
    "braces": "{not_a_placeholder} {{double}} }{",
    "json": json.dumps({"a": [1, 2, {"b": None}], "c": "d\"e"}),
    "long": "x" * 200_000,
    "non_latin": "日本語 العربية Ελληνικά русский 🙂 e\u0301",
    "controls": "tab\tcr\rnul\x00bell\x07esc\x1b[31m rtl\u202e bom\ufeff",
}
LITERAL = 'Reply as JSON like {"facts": [], "n": 1} and keep {{ not a name }} {1}; 東京 \x01'


def _document() -> CrewDocument:
    placeholders = " ".join(f"<{name}>{{{name}}}</{name}>" for name in ODD_INPUTS)
    return CrewDocument(
        name="Odd",
        agents=[AgentSpec(key="a", role="Reader é", goal="Read 日本", backstory="Ω",
                          llm="openai/sim:tokens=3")],
        tasks=[TaskSpec(key="t", description=f"{LITERAL}\n{placeholders}",
                        expected_output="échos", agent="a")],
    )


@pytest.mark.asyncio
async def test_odd_inputs_and_texts_reach_the_model_unchanged(
    sim: Simulator, tmp_path: Path
) -> None:
    path = tmp_path / "odd.crew.yaml"
    save_crew(_document(), path)
    document = override_llm(load_crew(path), base_url=sim.base_url)
    crew = build_crew(document, resolve_api_key=lambda _spec: "sk-test", stream=False)

    await crew.akickoff(dict(ODD_INPUTS))

    (request,) = sim.stats.requests
    sent = "\n".join(str(m["content"]) for m in request.body["messages"])
    assert LITERAL in sent
    for name, value in ODD_INPUTS.items():
        assert f"<{name}>{value}</{name}>" in sent, name
    assert "Reader é" in sent and "Read 日本" in sent and "échos" in sent
