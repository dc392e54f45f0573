"""Flows without crews: the order of steps (CrewAI 1.15's), state, errors, plot.

Each expected order was checked against CrewAI 1.15.30 itself (the same classes run there).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from desktop_app.engine import bus
from desktop_app.engine.flow import (
    Flow,
    FlowState,
    and_,
    graph_of,
    listen,
    or_,
    router,
    start,
)


class Linear(Flow[dict[str, Any]]):
    @start()
    def first(self) -> str:
        self.state["seen"] = ["first"]
        return "one"

    @listen(first)
    def second(self, previous: str) -> str:
        self.state["seen"].append(f"second:{previous}")
        return "two"

    @listen("second")
    async def third(self) -> str:
        self.state["seen"].append("third")
        return "three"


def test_a_linear_flow_runs_each_step_after_the_one_it_listens_to() -> None:
    flow = Linear()
    assert flow.kickoff() == "three"
    assert flow.state["seen"] == ["first", "second:one", "third"]
    assert flow.method_outputs == ["one", "two", "three"]
    assert flow.flow_id == flow.state["id"] and len(flow.flow_id) == 36


class Branching(Flow[dict[str, Any]]):
    @start()
    def check(self) -> None:
        self.state.setdefault("log", [])

    @router(check)
    def route(self) -> Literal["big", "small"]:
        return "big" if self.state["size"] > 10 else "small"

    @listen("big")
    def handle_big(self, label: str) -> str:
        self.state["log"].append(label)
        return "handled big"

    @listen("small")
    def handle_small(self) -> str:
        self.state["log"].append("small")
        return "handled small"


@pytest.mark.parametrize(("size", "taken"), [(50, "big"), (3, "small")])
def test_a_router_label_runs_only_its_listeners(size: int, taken: str) -> None:
    flow = Branching()
    assert flow.kickoff(inputs={"size": size}) == f"handled {taken}"
    assert flow.state["log"] == [taken]


class Joins(Flow[dict[str, Any]]):
    @start()
    def a(self) -> str:
        self.state["log"] = ["a"]
        return "A"

    @start()
    async def b(self) -> str:
        await asyncio.sleep(0.01)
        self.state["log"].append("b")
        return "B"

    @listen(and_(a, b))
    def both(self) -> str:
        self.state["log"].append("both")
        return "joined"

    @listen(or_(a, b))
    def either(self, first: str) -> None:
        self.state["log"].append(f"either:{first}")


def test_and_waits_for_all_and_or_fires_once() -> None:
    flow = Joins()
    flow.kickoff()
    log = flow.state["log"]
    assert log.count("both") == 1 and log.index("both") > log.index("b")
    assert [entry for entry in log if entry.startswith("either")] == ["either:A"]


class Conditional(Flow[dict[str, Any]]):
    """Checked against CrewAI 1.15.30: `@start("a")` fires on a router label, not on `a`."""

    @start()
    def a(self) -> str:
        self.state["log"] = ["a"]
        return "A"

    @start("a")
    def b(self) -> str:
        self.state["log"].append("b")
        return "B"

    @listen(and_(a, b))
    def c(self) -> None:
        self.state["log"].append("c")

    @listen(or_(a, b))
    def d(self, value: str) -> None:
        self.state["log"].append(f"d:{value}")


def test_conditional_starts_wait_as_crewais_do() -> None:
    flow = Conditional()
    assert flow.kickoff() is None
    assert flow.state["log"] == ["a", "d:A"]


class Loop(Flow[dict[str, Any]]):
    @start()
    def begin(self) -> None:
        self.state["n"] = 0

    @router(or_(begin, "again"))
    def count(self) -> str:
        self.state["n"] += 1
        return "again" if self.state["n"] < 3 else "done"

    @start("again")
    def side(self) -> None:
        self.state["side"] = self.state.get("side", 0) + 1

    @listen("done")
    async def finish(self, label: str) -> str:
        return f"{label} after {self.state['n']}"


def test_a_loop_through_a_router_runs_until_its_label_changes() -> None:
    flow = Loop()
    assert flow.kickoff() == "done after 3"
    assert flow.state["side"] == 2
    assert flow.method_outputs == [None, "again", "again", "done", None, None, "done after 3"]


class Endless(Flow[dict[str, Any]]):
    max_method_calls = 5

    @start()
    def begin(self) -> None:
        pass

    @router(or_(begin, "again"))
    def forever(self) -> str:
        return "again"


def test_an_endless_loop_is_stopped_naming_the_step() -> None:
    with pytest.raises(RecursionError, match="'forever' has been called 5 times"):
        Endless().kickoff()


class Report(BaseModel):
    topic: str = ""
    words: int = 0


class Typed(Flow[Report]):
    @start()
    def write(self) -> int:
        self.state.words = len(self.state.topic.split())
        return self.state.words


def test_a_pydantic_state_gets_an_id_and_the_inputs() -> None:
    flow = Typed()
    assert flow.kickoff(inputs={"topic": "tidal power plants"}) == 3
    assert isinstance(flow.state, Report) and isinstance(flow.state, FlowState)
    assert flow.state.topic == "tidal power plants" and len(flow.state.id) == 36
    with pytest.raises(ValueError, match="words"):
        Typed().kickoff(inputs={"words": "many"})


class NoId(BaseModel):
    x: int = 0


def test_an_initial_state_model_without_id_is_refused() -> None:
    class Bad(Flow[dict[str, Any]]):
        initial_state = NoId

        @start()
        def go(self) -> None:
            pass

    with pytest.raises(ValueError, match="must have an 'id' field"):
        Bad()


class Broken(Flow[dict[str, Any]]):
    @start()
    def fine(self) -> str:
        return "ok"

    @listen(fine)
    def explode(self) -> None:
        raise KeyError("missing thing")


def test_a_failing_step_fails_the_flow_naming_the_step() -> None:
    seen: list[Any] = []
    unsubscribe = bus.subscribe(seen.append)
    try:
        with pytest.raises(KeyError) as caught:
            Broken().kickoff()
    finally:
        unsubscribe()
    assert "'explode' of flow Broken" in "".join(getattr(caught.value, "__notes__", []))
    kinds = [event.kind for event in seen]
    assert kinds[-2:] == ["flow_method_failed", "flow_failed"]
    assert seen[-1].method == "explode"


def test_a_flow_without_a_start_is_refused() -> None:
    class Nothing(Flow[dict[str, Any]]):
        @listen("x")
        def y(self) -> None:
            pass

    with pytest.raises(ValueError, match="no @start"):
        Nothing()


def test_an_unknown_keyword_is_named() -> None:
    with pytest.raises(TypeError, match="'colour'"):
        Linear(colour="red")


def test_events_follow_the_steps_in_order() -> None:
    seen: list[Any] = []
    unsubscribe = bus.subscribe(seen.append)
    try:
        Linear().kickoff(inputs={"topic": "x"})
    finally:
        unsubscribe()
    steps = [(e.kind, getattr(e, "method", None)) for e in seen]
    assert steps == [("flow_started", None),
                     ("flow_method_started", "first"), ("flow_method_finished", "first"),
                     ("flow_method_started", "second"), ("flow_method_finished", "second"),
                     ("flow_method_started", "third"), ("flow_method_finished", "third"),
                     ("flow_finished", None)]
    assert seen[0].inputs == {"topic": "x"} and seen[-1].result == "three"
    assert seen[2].state["seen"] == ["first"]


def test_plot_writes_a_self_contained_page(tmp_path: Path) -> None:
    path = Path(Branching().plot(str(tmp_path / "branching"), show=False))
    page = path.read_text(encoding="utf-8")
    assert path.name == "branching.html" and "<script" not in page and "http" not in page.replace(
        "http://www.w3.org/2000/svg", "")
    for name in ("check", "route", "handle_big", "handle_small", ">big<", ">small<"):
        assert name in page


class Triggered(Flow[dict[str, Any]]):
    @start()
    def begin(self, crewai_trigger_payload: dict[str, Any] | None = None) -> str:
        return str((crewai_trigger_payload or {}).get("topic", "none"))


def test_a_trigger_payload_goes_to_the_start_steps_that_take_it() -> None:
    assert Triggered().kickoff() == "none"
    flow = Triggered()
    assert flow.kickoff(inputs={"crewai_trigger_payload": {"topic": "tides"}}) == "tides"


def test_crewais_tracing_setting_warns_naming_itself() -> None:
    from desktop_app.engine.errors import IgnoredSettingWarning

    with pytest.warns(IgnoredSettingWarning, match=r"Linear\(tracing=...\)"):
        Linear(tracing=True)


def test_the_graph_names_steps_edges_and_where_each_step_is() -> None:
    graph = graph_of(Branching)
    assert graph.starts == ["check"] and graph.labels() == ["big", "small"]
    assert graph.edges() == [("check", "route", ""), ("route", "handle_big", "big"),
                             ("route", "handle_small", "small")]
    step = graph.steps["handle_big"]
    assert step.file == __file__ and step.line is not None and step.takes_input
    assert graph_of(Joins).edges()[:2] == [("a", "both", "and"), ("b", "both", "and")]
