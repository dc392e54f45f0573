"""``crewdesk run`` on CrewAI Flows: the ``crewai create flow`` template and a Flow script, on
the simulator; each step's start and end is a line, each crew names the step it runs for."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.cli import main as crewdesk
from tests.process_support import kept_process_state

PROJECTS = Path(__file__).parent / "compat" / "projects"

SCRIPT = '''
from crewai import Agent, Crew, Task
from crewai.flow import Flow, listen, router, start


def crew(name):
    agent = Agent(role=name, goal="Write", backstory="A writer.")
    return Crew(agents=[agent], tasks=[Task(description="Write about {topic}",
                                            expected_output="text", agent=agent)], name=name)


class Review(Flow):
    @start()
    async def draft(self):
        return (await crew("Drafter").akickoff({"topic": "tides"})).raw

    @router(draft)
    def judge(self, text):
        return "reject"

    @listen("reject")
    def complain(self):
        raise RuntimeError("the draft was rejected")


Review().kickoff()
'''


@pytest.fixture(autouse=True)
def _process_state(tmp_path: Path) -> Iterator[None]:
    """Variables, ``sys.path``, folder and the copy's modules are put back after each test."""
    with kept_process_state(tmp_path):
        yield


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "content_flow"
    shutil.copytree(PROJECTS / "content_flow", root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_flow_template_runs_step_by_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    code = crewdesk(["run", str(root), "--simulator"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.startswith(">> ")]
    assert lines[0].startswith(">> flow ContentFlow started (state id ")
    assert lines[1:] == [
        ">> step plan_content started", ">> step plan_content finished",
        ">> step generate_content started",
        ">> step generate_content: crew 'ContentCrew' started",
        ">> step generate_content finished", ">> step save_content started",
        ">> step save_content finished", lines[-1]]
    assert lines[-1].startswith(">> flow ContentFlow finished (") and "tokens)" in lines[-1]
    assert "== task 3 editing_task (Content Editor) ==" in out  # the crew's own stream
    assert "Topic: AI Agents" in out  # the steps' prints
    assert (root / "output" / "post.md").read_text(encoding="utf-8").startswith("Answer to:")


def test_inputs_go_to_the_flow_class(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _copy(tmp_path)
    payload = '{"crewai_trigger_payload": {"topic": "tidal power"}}'
    code = crewdesk(["run", str(root), "--simulator", "--inputs", payload, "--output", "-"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Topic: tidal power" in out and "blog post about tidal power" in out
    report = json.loads(out[out.index("\n[\n") + 1:])
    assert [(r["flow"], r["status"], r["inputs"]) for r in report] == [
        ("ContentFlow", "succeeded", {"crewai_trigger_payload": {"topic": "tidal power"}})]
    assert report[0]["state"]["topic"] == "tidal power"
    assert report[0]["state"]["final_post"].startswith("Answer to:")
    assert report[0]["usage"]["total_tokens"] > 0


def test_a_flow_script_that_fails_names_the_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "review.py"
    script.write_text(SCRIPT, encoding="utf-8")
    code = crewdesk(["run", str(script), "--simulator"])
    out, err = capsys.readouterr()
    assert code != 0
    assert ">> step draft: crew 'Drafter' started" in out
    assert ">> step complain failed: RuntimeError" in out
    assert "error: flow Review failed in step 'complain': the draft was rejected" in err
    assert "=== final output ===" in out  # a script's report is its crews' (one here)
    assert "Traceback" not in out + err


def test_a_flow_script_with_inputs_kicks_its_flow_class_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "topic_flow.py"
    script.write_text(TOPIC_SCRIPT, encoding="utf-8")
    code = crewdesk(["run", str(script), "--simulator", "--inputs", '{"topic": "geysers"}'])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.count(">> flow Topic started") == 1  # the script's own kickoff did not run
    assert "Write about geysers" in out
    assert "=== final output ===\nAnswer to: Current Task: Write about geysers" in out


TOPIC_SCRIPT = '''
from crewai import Agent, Crew, Task
from crewai.flow import Flow, start


class Topic(Flow):
    @start()
    def write(self):
        agent = Agent(role="Writer", goal="Write", backstory="A writer.")
        task = Task(description="Write about {topic}", expected_output="text", agent=agent)
        return Crew(agents=[agent], tasks=[task]).kickoff({"topic": self.state["topic"]}).raw


Topic().kickoff(inputs={"topic": "the script's own topic"})
'''
