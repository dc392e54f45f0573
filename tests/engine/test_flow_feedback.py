"""`@human_feedback` on flow steps: the answer reaches the listeners, `emit` routes on it (an
outcome's name, an empty answer's default, or the model's classification on the simulator)."""

from __future__ import annotations

from typing import Any

import pytest

from desktop_app.engine.flow import (
    Flow,
    HumanFeedbackRequest,
    HumanFeedbackResult,
    human_feedback,
    listen,
    start,
)
from desktop_app.simulator import Simulator
from tests.engine.conftest import make_llm


class Review(Flow[dict[str, Any]]):
    @start()
    @human_feedback(message="Is this draft good?")
    def draft(self) -> str:
        return "a draft"

    @listen(draft)
    def use(self, review: HumanFeedbackResult) -> str:
        return f"{review.output} / {review.feedback}"


def test_the_answer_reaches_the_listener() -> None:
    asked: list[HumanFeedbackRequest] = []

    def answer(request: HumanFeedbackRequest) -> str:
        asked.append(request)
        return "tighten the intro"

    flow = Review(human_feedback_handler=answer)
    assert flow.kickoff() == "a draft / tighten the intro"
    assert [(r.method, r.message, r.output) for r in asked] == [
        ("draft", "Is this draft good?", "a draft")]
    assert flow.last_human_feedback is not None
    assert flow.last_human_feedback.feedback == "tighten the intro"
    assert flow.last_human_feedback.outcome is None and len(flow.human_feedback_history) == 1


class Gate(Flow[dict[str, Any]]):
    llm: Any = None

    @start()
    def write(self) -> str:
        return "the post"

    @listen(write)
    @human_feedback(message="Publish it?", emit=["needs_work", "approved"],
                    llm="openai/sim", default_outcome="approved")
    def check(self, text: str) -> str:
        return text.upper()

    @listen("approved")
    async def publish(self, review: HumanFeedbackResult) -> str:
        return f"published {review.output}"

    @listen("needs_work")
    def revise(self, review: HumanFeedbackResult) -> str:
        return f"revising after: {review.feedback}"


@pytest.mark.asyncio
@pytest.mark.parametrize(("answer", "expected"), [
    ("Approved", "published THE POST"),
    ("", "published THE POST"),
    ("needs_work", "revising after: needs_work"),
])
async def test_emit_routes_on_the_outcome(answer: str, expected: str) -> None:
    async def handler(request: HumanFeedbackRequest) -> str:
        assert request.emit == ("needs_work", "approved")
        return answer

    flow = Gate(human_feedback_handler=handler)
    assert await flow.akickoff() == expected
    assert flow.method_outputs[1] == "THE POST"  # the step's own output, not its outcome


@pytest.mark.asyncio
async def test_a_free_answer_is_classified_by_the_model(sim: Simulator) -> None:
    class Classified(Gate):
        @listen(Gate.write)
        @human_feedback(message="Publish it?", emit=["needs_work", "approved"],
                        llm=make_llm(sim.base_url))
        def check(self, text: str) -> str:
            return text.upper()

    flow = Classified(human_feedback_handler=lambda request: "please fix the intro first")
    result = await flow.akickoff()
    assert result == "revising after: please fix the intro first"  # the simulator's choice
    assert sim.stats.requests_total == 1
    prompt = sim.stats.requests[0].body["messages"][0]["content"]
    assert "Feedback: please fix the intro first" in prompt
    assert "Possible outcomes: needs_work, approved" in prompt


def test_unsupported_options_name_themselves() -> None:
    with pytest.raises(NotImplementedError, match="learn=True"):
        human_feedback(message="?", learn=True)
    with pytest.raises(ValueError, match="default_outcome 'maybe' must be one of"):
        human_feedback(message="?", emit=["yes", "no"], default_outcome="maybe")
