"""Real CrewAI projects, run unchanged on the simulator: the CLI and the app's controller path.

Every fixture in ``tests/compat/projects/`` (see its README) is a CrewAI 1.15 project as users
write it. Each one runs four ways:

- ``crewdesk run PATH --simulator``: the project's own entry (``main.run()``, the script, the
  notebook), as ``crewai run`` does;
- ``crewdesk run PATH --simulator --inputs JSON``: its crew built and kicked off with them;
- the controller contract: ``projects.load(locate(PATH)).build_crew()`` and
  ``Crew.stream_events`` under ``force_llm_target``, inside the project's process state;
- the app's own dry-run steps (``CrewFactory.build_project``): ``build_project_crew`` in a
  worker thread, every model routed to the simulator, the app's working folder elsewhere.

Each run must show that every task ran (a ``TaskFinished`` per task, from the process-wide
event bus), that each task's model request offered its tools (the simulator's recorded
request bodies), and what the project asks for beyond that: output models filled, files
written, coworker tools offered, the plan in the prompt, the callbacks called.

The CLI starts its own simulator; `RecordingSimulator` stands in for the simulator class so
the test can read that simulator's requests, and points the toolkit's Serper endpoint at it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import desktop_app.simulator
from desktop_app.cli import main as crewdesk
from desktop_app.engine import Crew
from desktop_app.engine.events import RunEvent, TaskFinished, ToolCallFinished
from desktop_app.simulator import SimulatorConfig, SimulatorThread
from tests.process_support import kept_process_state

PROJECTS = Path(__file__).parent / "projects"
FAST = SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)


# --- what each project must show ---------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One fixture project and what a run of it must show.

    Attributes:
        name: Its folder or file under ``projects/``.
        tasks: A piece of each task's description, in task order (placeholders filled).
        tools: Description piece -> the tool names that task's requests offer (exactly).
        inputs: Values for ``--inputs``.
        files: Output files the run writes, relative to the project's root.
    """

    name: str
    tasks: list[str]
    tools: dict[str, set[str]] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


DELEGATION = {"Delegate work to coworker", "Ask question to coworker"}

CASES = [
    Case("latest_ai_development", ["Conduct a thorough research about", "Review the context"],
         inputs={"topic": "quantum sensors", "current_year": "2026"}, files=["report.md"]),
    Case("trip_planner_classic", ["As a local expert on", "Expand the guide into a full"],
         tools={"As a local expert on": set(), "Expand the guide": {"Make a calculation"}},
         inputs={"city": "Porto", "days": "2"}),
    Case("content_pipeline", ["Research ", "Write a blog post about", "Proofread the blog post"],
         inputs={"topic": "urban beekeeping"}),
    Case("market_research",
         ["Search the web for recent news", "Read the competitors file",
          "Write a short executive summary"],
         tools={"Search the web for recent news": {"Search the internet with Serper",
                                                   "Read website content"},
                "Read the competitors file": {"Read a file's content", "Market size calculator"},
                "Write a short executive summary": {"Word counter"}},
         inputs={"market": "e-bikes"}),
    Case("product_brief", ["List the three main competitors", "Propose a starting price tier",
                           "Write a one-page product brief"],
         inputs={"product": "a budgeting app"},
         files=["output/competitors.md", "output/pricing.json", "output/brief.md"]),
    Case("newsroom", ["Produce a 300-word news story", "Write three headline options"],
         tools={"Produce a 300-word news story": DELEGATION, "Write three headline": set()},
         inputs={"story": "a bridge reopening"}),
    Case("event_planning", ["Pick a venue in", "Write the schedule of the meetup day"],
         inputs={"city": "Ghent", "attendees": "40"}),
    Case("daily_digest", ["Pick the three most important stories", "Write the digest of"],
         inputs={"topic": "robotics"}, files=["digest.log"]),
    Case("trend_brief_json", ["Collect the five newest facts about", "Write a one-page brief"],
         inputs={"topic": "sodium batteries"}, files=["output/brief.md"]),
    Case("research_script.py", ["Research the latest developments in",
                                "Using the research, write a short article"],
         tools={"Using the research": {"Reading time"}}, inputs={"topic": "wind turbines"}),
    Case("research_notebook.ipynb", ["Prioritize the latest trends",
                                     "Use the content plan to craft"],
         inputs={"topic": "rooftop gardens"}),
]
BY_NAME = {case.name: case for case in CASES}


def test_every_fixture_project_is_a_case() -> None:
    fixtures = {p.name for p in PROJECTS.iterdir() if p.name != "README.md"}
    broken = {name for name in fixtures if name.startswith("broken_")} | {"content_flow"}
    assert fixtures - broken == set(BY_NAME)
    readme = (PROJECTS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}" in readme for name in fixtures)


# --- process state, simulators, the event bus ---------------------------------------------


@pytest.fixture(autouse=True)
def _process_state(tmp_path: Path) -> Iterator[None]:
    """A project's run may set variables (its .env), import its modules and change folder:
    everything is put back, and the modules imported from the copy are forgotten."""
    with kept_process_state(tmp_path):
        yield


class RecordingSimulator(SimulatorThread):
    """The CLI's ``--simulator``, fast, remembered so the test can read its requests."""

    started: list[SimulatorThread] = []
    points_serper = True
    """Whether the test points the toolkit's Serper endpoint at it (C8), or leaves that to
    ``crewdesk run --simulator``."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        super().__init__(FAST)
        RecordingSimulator.started.append(self)

    def start(self, timeout: float = 10.0) -> None:
        """Starts it (and points Serper at it, see `points_serper`)."""
        super().start(timeout)
        if RecordingSimulator.points_serper:
            os.environ["CREWDESK_SERPER_URL"] = root_url(self) + "/serper/search"


def root_url(sim: SimulatorThread) -> str:
    """The simulator's address without ``/v1``."""
    return sim.base_url.removesuffix("/v1")


@pytest.fixture
def cli_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], SimulatorThread]]:
    """The simulator the next ``crewdesk run --simulator`` starts (call after the run)."""
    RecordingSimulator.started.clear()
    monkeypatch.setattr(desktop_app.simulator, "SimulatorThread", RecordingSimulator)

    def last() -> SimulatorThread:
        assert RecordingSimulator.started, "crewdesk run --simulator started no simulator"
        return RecordingSimulator.started[-1]

    yield last


@pytest.fixture
def events() -> Iterator[list[RunEvent]]:
    """Every event of every run in the process while the test runs (bus, C2)."""
    from desktop_app.engine import bus

    seen: list[RunEvent] = []
    unsubscribe = bus.subscribe(seen.append)
    yield seen
    unsubscribe()


def copy_fixture(name: str, tmp_path: Path) -> Path:
    """A copy of the fixture in ``tmp_path`` (runs write files next to the project)."""
    source = PROJECTS / name
    target = tmp_path / name
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copy(source, target)
    return target


def function_name(tool_name: str) -> str:
    """A tool's name as sent to the model, compared loosely: its letters and digits in lower
    case (CrewAI's ``sanitize_tool_name`` and the engine differ in case and punctuation)."""
    return re.sub(r"[^a-z0-9]", "", tool_name.lower())


def prompt_text(body: dict[str, Any]) -> str:
    """All the text of a request's messages."""
    parts: list[str] = []
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "\n".join(parts)


def offered(body: dict[str, Any]) -> set[str]:
    """The names of the tools a request offers."""
    return {function_name(t["function"]["name"]) for t in body.get("tools") or []
            if "function" in t}


def task_description(body: dict[str, Any]) -> str | None:
    """The task a request works on: its first user message's ``Current Task: ...`` (the
    prompt CrewAI and the engine both write), else None (a planner or other request)."""
    users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    content = users[0].get("content") if users else None
    if not isinstance(content, str) or not content.startswith("Current Task: "):
        return None
    return content.removeprefix("Current Task: ").split("\n\nThis is the expected criteria")[0]


def task_requests(sim: SimulatorThread, piece: str) -> list[dict[str, Any]]:
    """The chat requests of the task whose description starts with ``piece``."""
    return [r.body for r in sim.stats.requests
            if r.path.endswith("/chat/completions")
            and (task_description(r.body) or "").startswith(piece)]


# --- the checks every run must pass -------------------------------------------------------


def finished(seen: list[RunEvent]) -> list[TaskFinished]:
    """The TaskFinished events, in order."""
    return [e for e in seen if isinstance(e, TaskFinished)]


def check_run(case: Case, sim: SimulatorThread, seen: list[RunEvent], root: Path) -> None:
    """Every task ran and was offered its tools; the files were written."""
    done = finished(seen)
    assert len(done) == len(case.tasks), [e.task_name for e in done]
    for piece, event in zip(case.tasks, done, strict=True):
        assert piece in event.output.description, (piece, event.output.description)
        assert event.output.raw
        assert task_requests(sim, piece), f"no model request for the task {piece!r}"
    for piece, tools in case.tools.items():
        wanted = {function_name(name) for name in tools}
        for body in task_requests(sim, piece):
            assert offered(body) == wanted, (piece, offered(body))
    for name in case.files:
        written = root / name
        assert written.is_file(), f"{name} was not written"
        assert written.read_text(encoding="utf-8").strip()
    check_extras(case.name, sim, seen, root)


def check_extras(name: str, sim: SimulatorThread, seen: list[RunEvent], root: Path) -> None:
    """What a project asks for beyond running its tasks (by project)."""
    checks: dict[str, Callable[[SimulatorThread, list[RunEvent], Path], None]] = {
        "content_pipeline": check_context,
        "market_research": check_tools_ran,
        "product_brief": check_output_models,
        "newsroom": check_delegation,
        "event_planning": check_plan,
        "daily_digest": check_callbacks,
    }
    check = checks.get(name)
    if check is not None:
        check(sim, seen, root)


def check_context(sim: SimulatorThread, seen: list[RunEvent], root: Path) -> None:
    """``context=[self.research_task()]``: the research reaches the writer and the editor."""
    research, write, _ = finished(seen)
    excerpt = research.output.raw.strip()[:60]
    assert any(excerpt in prompt_text(b) for b in task_requests(sim, "Write a blog post about"))
    edit = task_requests(sim, "Proofread the blog post")
    assert any(write.output.raw.strip()[:60] in prompt_text(b) for b in edit)
    assert any(excerpt in prompt_text(b) for b in edit)
    assert [e.agent_role.strip() for e in finished(seen)] == [
        "Content Researcher", "Blog Writer", "Chief Editor"]


def check_tools_ran(sim: SimulatorThread, seen: list[RunEvent], root: Path) -> None:
    """Serper answered from the simulator; FileReadTool read the project's CSV."""
    results = [e for e in seen if isinstance(e, ToolCallFinished)]
    serper = [e for e in results if "serper" in function_name(e.tool_name)]
    assert serper and not serper[0].is_error, serper
    # The simulator makes up the optional file_path argument; CrewAI's FileReadTool then
    # reads that path, so what counts is that relative paths start from the project root.
    reads = [e for e in results if "file" in function_name(e.tool_name)]
    assert reads, results
    assert "Brightloop" in reads[0].output or str(root) in reads[0].output, reads[0]
    assert any(r.path.startswith("/serper") for r in sim.stats.requests)


def check_output_models(sim: SimulatorThread, seen: list[RunEvent], root: Path) -> None:
    """``output_pydantic``/``output_json`` filled; the JSON file holds the model's JSON."""
    competitors, pricing, brief = (e.output for e in finished(seen))
    assert type(competitors.pydantic).__name__ == "CompetitorList"
    assert competitors.pydantic is not None
    assert isinstance(competitors.pydantic.competitors, list)  # type: ignore[attr-defined]
    assert pricing.json_dict is not None
    assert {"tier", "monthly_price_usd", "features"} <= set(pricing.json_dict)
    written = json.loads((root / "output/pricing.json").read_text(encoding="utf-8"))
    assert written == pricing.json_dict
    assert brief.pydantic is None and brief.json_dict is None


def check_delegation(sim: SimulatorThread, seen: list[RunEvent], root: Path) -> None:
    """``allow_delegation: true`` in a sequential crew: the editor delegated to a coworker."""
    calls = [e for e in seen if isinstance(e, ToolCallFinished)
             and function_name(e.tool_name) == function_name("Delegate work to coworker")]
    assert calls and not calls[0].is_error, calls


def check_plan(sim: SimulatorThread, seen: list[RunEvent], root: Path) -> None:
    """``planning=True``: one plan per task, each in its task's prompt."""
    from desktop_app.engine.events import PlanCreated

    plans = [e for e in seen if isinstance(e, PlanCreated) and e.source == "crew_planning"]
    assert len(plans) == 2, plans
    for plan, piece in zip(plans, BY_NAME["event_planning"].tasks, strict=True):
        assert plan.plan.strip()
        assert any(plan.plan.strip()[:60] in prompt_text(b) for b in task_requests(sim, piece))


def check_callbacks(sim: SimulatorThread, seen: list[RunEvent], root: Path) -> None:
    """``@before_kickoff``, ``@after_kickoff``, task, step and crew callbacks all ran."""
    log = (root / "digest.log").read_text(encoding="utf-8").splitlines()
    assert log[0].startswith("before kickoff:") and "'date'" in log[0]
    assert "task callback: pick_task by News Curator" in log
    assert "task callback: digest_task by News Curator" in log
    assert "crew task callback: pick_task" in log and "crew task callback: digest_task" in log
    assert "step" in log
    assert log[-1] == "after kickoff: 2 tasks"
    assert "2026-01-15" in finished(seen)[0].output.description


# --- the three ways of running a project ----------------------------------------------------


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``crewdesk run ...`` in this process; returns the exit code, stdout and stderr."""
    code = crewdesk(["run", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_crewdesk_run_project_as_crewai_run(
    name: str, tmp_path: Path, cli_sim: Callable[[], SimulatorThread],
    events: list[RunEvent], capsys: pytest.CaptureFixture[str],
) -> None:
    case = BY_NAME[name]
    root = copy_fixture(name, tmp_path)

    code, out, err = run_cli([str(root), "--simulator", "--approve", "always"], capsys)

    assert code == 0, err
    check_run(case, cli_sim(), events, root if root.is_dir() else tmp_path)
    if name == "daily_digest":
        assert "-- your daily digest" in out
    if name == "research_notebook.ipynb":
        assert "pip" in err  # the skipped `!pip install` line is named


def test_a_simulator_dry_run_keeps_search_tools_off_the_network(
    tmp_path: Path, cli_sim: Callable[[], SimulatorThread], events: list[RunEvent],
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--simulator`` is a dry run: the project's SerperDevTool must be answered by the
    simulator too, not by Serper with the key in the project's .env."""
    monkeypatch.setattr(RecordingSimulator, "points_serper", False)
    monkeypatch.delenv("CREWDESK_SERPER_URL", raising=False)
    root = copy_fixture("market_research", tmp_path)

    code, _, err = run_cli([str(root), "--simulator", "--approve", "always"], capsys)

    assert code == 0, err
    assert any(r.path.startswith("/serper") for r in cli_sim().stats.requests)
    serper = [e for e in events if isinstance(e, ToolCallFinished)
              and "serper" in function_name(e.tool_name)]
    assert serper and not serper[0].is_error, serper


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_crewdesk_run_project_with_inputs(
    name: str, tmp_path: Path, cli_sim: Callable[[], SimulatorThread],
    events: list[RunEvent], capsys: pytest.CaptureFixture[str],
) -> None:
    case = BY_NAME[name]
    root = copy_fixture(name, tmp_path)

    code, out, err = run_cli([str(root), "--simulator", "--approve", "always", "--inputs", json.dumps(case.inputs)],
                             capsys)

    assert code == 0, err
    check_run(case, cli_sim(), events, root if root.is_dir() else tmp_path)
    first = finished(events)[0].output.description
    assert any(value in first for value in case.inputs.values()), first


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_app_controller_path_runs_project(
    name: str, tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    from desktop_app.compat.projects import ProjectWarning, load, locate
    from desktop_app.engine.llm import force_llm_target

    case = BY_NAME[name]
    root = copy_fixture(name, tmp_path)
    seen: list[RunEvent] = []
    with SimulatorThread(FAST) as sim:
        os.environ["CREWDESK_SERPER_URL"] = root_url(sim) + "/serper/search"
        project = load(locate(root))
        with project.activated(), force_llm_target("openai/sim", sim.base_url, "sk-test"):
            crew = project.build_crew()
            asyncio.run(consume(crew, case.inputs, seen))
            if name == "market_research":  # FileReadTool(file_path=...) reads the project's file
                read = next(t for t in crew.agents[1].tools if "file" in t.name)
                assert "Brightloop" in str(read.run())

        check_run(case, sim, seen, root if root.is_dir() else tmp_path)
    unexpected = [w for w in recwarn if not issubclass(w.category, ProjectWarning)]
    assert not unexpected, [str(w.message) for w in unexpected]
    if name == "research_notebook.ipynb":
        assert any("pip" in str(w.message) for w in recwarn)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_app_dry_run_runs_project_as_the_run_controller_does(name: str, tmp_path: Path) -> None:
    """The app's own steps for a dry run of a trusted project (``CrewFactory.build_project``):
    ``build_project_crew`` in a worker thread, every model routed to the simulator, the crew's
    events consumed on the loop; the app's working folder is not the project's."""
    from desktop_app.compat.projects import load, locate
    from desktop_app.ui.controllers._project_build import (
        ModelRoute,
        ProjectRun,
        build_project_crew,
        route_models,
    )
    from desktop_app.ui.controllers._project_folder import ProjectFolders

    case = BY_NAME[name]
    root = copy_fixture(name, tmp_path)
    elsewhere = tmp_path / "app-working-folder"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    seen: list[RunEvent] = []
    with SimulatorThread(FAST) as sim:
        os.environ["CREWDESK_SERPER_URL"] = root_url(sim) + "/serper/search"
        target = ModelRoute("openai/sim", sim.base_url, "sk-test", force=True)

        def build() -> Crew:
            crew = build_project_crew(ProjectRun(load(locate(root))))
            route_models(crew, lambda _model: target)
            return crew

        async def dry_run() -> None:
            crew = await asyncio.to_thread(build)
            folders = ProjectFolders()  # the run lends the project its folder, as the app's
            lease = await folders.enter(root if root.is_dir() else tmp_path)
            try:
                await consume(crew, case.inputs, seen)
            finally:
                await folders.leave(lease)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the app lists them in the project's panel
            asyncio.run(dry_run())
        check_run(case, sim, seen, root if root.is_dir() else tmp_path)
    assert not any(elsewhere.iterdir()), sorted(p.name for p in elsewhere.iterdir())


@pytest.mark.parametrize("name", ["research_script.py", "research_notebook.ipynb"])
def test_building_a_script_crew_runs_nothing(name: str, tmp_path: Path) -> None:
    """The app builds a script's crew to show it in the designer: that must not run it
    (the script's top-level ``crew.kickoff(...)`` would spend the user's tokens)."""
    from desktop_app.compat.projects import load, locate
    from desktop_app.engine.llm import force_llm_target

    root = copy_fixture(name, tmp_path)
    with SimulatorThread(FAST) as sim, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        project = load(locate(root))
        with project.activated(), force_llm_target("openai/sim", sim.base_url, "sk-test"):
            crew = project.build_crew()
        assert sim.stats.requests == []
    assert len(crew.tasks) == 2


async def consume(crew: Crew, inputs: dict[str, str], seen: list[RunEvent]) -> None:
    """Runs the crew and reads its event stream to its end, as the RunController does."""
    stream = crew.stream_events(inputs)
    async for event in stream:
        seen.append(event)
    assert stream.value() is not None
