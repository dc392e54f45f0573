"""Issue 14, defect 3: what fails at run time is found before, in plain words."""

from __future__ import annotations

from desktop_app.documents.model import AgentSpec, CrewDocument, InputSet, TaskSpec


def _crew(**changes: object) -> CrewDocument:
    doc = CrewDocument(
        name="Writers",
        agents=[AgentSpec(key="researcher", role="Researcher", goal="Find facts on {topic}",
                          backstory="Curious.", tools=["read_file"])],
        tasks=[
            TaskSpec(key="research", description="Research {topic}.", expected_output="Notes",
                     agent="researcher"),
            TaskSpec(key="write", description="Write about {topic}.", expected_output="Text",
                     agent="researcher"),
        ],
        input_sets=[InputSet(name="default", values={"topic": "bees"})],
    )
    return doc.model_copy(update=changes)


def test_a_valid_crew_has_no_run_problems() -> None:
    assert _crew().run_problems() == []
    assert _crew().problems() == []


def test_a_tool_crewdesk_cannot_build_fails_the_run_not_the_save() -> None:
    doc = _crew()
    doc.agents[0].tools = ["read_file", "MyCustomTool", "project:tools.x.y", "mcp:s/t"]
    assert doc.problems() == []  # it can be saved (the file keeps the name)
    [issue] = doc.run_problems()
    assert issue.severity == "run"
    assert issue.loc == ("agents", 0, "tools", 1)  # the place stays a path (canvas, CLI)
    assert issue.text.startswith('Agent 1 "researcher" uses the tool \'MyCustomTool\'')
    assert doc.run_problems(check_tools=False) == []  # a project's code makes its tools


def test_brace_typos_are_warnings_naming_the_field() -> None:
    doc = _crew()
    doc.tasks[1].description = "Write about { topic } and {topic}."
    doc.tasks[0].expected_output = "Notes on {topic"
    texts = {(issue.loc, issue.severity): issue.text for issue in doc.run_problems()}
    assert texts[(("tasks", 1, "description"), "warning")] == (
        'Task 2 "write", description: \'{ topic }\' is not filled in at run time: write '
        "{topic} without spaces")
    unclosed = texts[(("tasks", 0, "expected_output"), "warning")]
    assert unclosed.startswith('Task 1 "research", expected output: the braces do not match')
    assert "near '{topic'" in unclosed


def test_json_in_a_text_is_no_typo() -> None:
    doc = _crew()
    doc.tasks[0].expected_output = 'JSON like {"title": "..."} with {topic}'
    assert doc.run_problems() == []


def test_inputs_nothing_uses_warn_and_missing_ones_fail_the_run() -> None:
    doc = _crew(input_sets=[InputSet(name="default", values={"topic": "bees", "year": 2024}),
                            InputSet(name="empty", values={})])
    found = [(issue.severity, issue.loc, issue.text) for issue in doc.run_problems()]
    assert ("warning", ("input_sets", 0, "values", "year"),
            'Input set 1 "default" gives the input \'year\', which no {placeholder} uses') in found
    assert ("run", ("agents", 0, "goal"),
            'Agent 1 "researcher", goal: {topic} has no value in input set 2 "empty": a run '
            "with it stops") in found


def test_problems_read_in_plain_words() -> None:
    doc = _crew()
    doc.tasks[1].agent = None
    [issue] = doc.problems()
    assert issue.loc == ("tasks", 1, "agent")
    assert issue.field == "tasks[1].agent"
    assert issue.text == 'Task 2 "write" has no agent; a sequential crew needs one per task'
