"""The document model: placeholders and the checks across agents, tasks and context."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.documents import AgentSpec, CrewDocument, CrewSettings, InputSet, TaskSpec


def agent(key: str = "writer", **fields: object) -> AgentSpec:
    values: dict[str, object] = {"role": "Writer", "goal": "Write", "backstory": "Writes."}
    values.update(fields)
    return AgentSpec(key=key, **values)  # type: ignore[arg-type]


def task(key: str, agent_key: str | None = "writer", **fields: object) -> TaskSpec:
    values: dict[str, object] = {"description": f"Do {key}.", "expected_output": "Text."}
    values.update(fields)
    return TaskSpec(key=key, agent=agent_key, **values)  # type: ignore[arg-type]


def crew(*tasks: TaskSpec, agents: list[AgentSpec] | None = None, **fields: object) -> CrewDocument:
    return CrewDocument(name="Crew", agents=agents or [agent()], tasks=list(tasks), **fields)  # type: ignore[arg-type]


def messages(doc: CrewDocument) -> list[str]:
    return [str(issue) for issue in doc.problems()]


def test_placeholders_come_from_every_text_field_in_order_of_first_use() -> None:
    doc = crew(
        task("one", description="About {topic} in {year}", expected_output="{topic} {format}"),
        agents=[agent(role="{field} expert", goal="Know {topic}", backstory="Born {year}")],
    )
    assert doc.placeholders() == ["field", "topic", "year", "format"]
    assert doc.placeholder_uses()["topic"] == [
        ("agents", 0, "goal"), ("tasks", 0, "description"), ("tasks", 0, "expected_output")
    ]


@pytest.mark.parametrize(
    "text",
    ['Reply as JSON: {"a": 1}', "{ topic }", "{1st}", "{}", "{a-b}", "{{", "set() or {x.y}"],
)
def test_json_and_other_braces_are_not_placeholders(text: str) -> None:
    assert crew(task("one", description=text)).placeholders() == []


@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True), st.text(max_size=30))
def test_any_identifier_in_braces_is_a_placeholder(name: str, noise: str) -> None:
    noise = noise.replace("{", "").replace("}", "")
    doc = crew(task("one", description=f"{noise}{{{name}}}{noise}"))
    assert doc.placeholders() == [name]


def test_missing_inputs_name_the_first_place_of_use() -> None:
    doc = crew(task("one", description="{topic} for {audience}"))
    missing = doc.missing_inputs({"topic": "x"})
    assert [(issue.loc, issue.message) for issue in missing] == [
        (("tasks", 0, "description"), "placeholder {audience} has no input")
    ]
    assert doc.missing_inputs({"topic": "x", "audience": None}) == []


def test_a_valid_crew_has_no_problems() -> None:
    doc = crew(task("research"), task("write", context=["research"]),
               input_sets=[InputSet(name="default", values={"x": 1})])
    assert doc.problems() == []


def test_unknown_agent_in_a_task() -> None:
    assert messages(crew(task("one", agent_key="editor"))) == [
        "tasks[0].agent: unknown agent 'editor' (agents: writer)"
    ]


def test_a_sequential_task_needs_an_agent_but_a_hierarchical_one_does_not() -> None:
    assert messages(crew(task("one", agent_key=None))) == [
        "tasks[0].agent: has no agent; a sequential crew needs one per task"
    ]
    assert crew(task("one", agent_key=None), process="hierarchical").problems() == []


def test_context_naming_a_missing_task() -> None:
    assert messages(crew(task("one", context=["nothing"]))) == [
        "tasks[0].context[0]: context names task 'nothing', which does not exist"
    ]


def test_context_naming_a_later_task() -> None:
    assert messages(crew(task("one", context=["two"]), task("two"))) == [
        "tasks[0].context[0]: context names task 'two', which runs later; "
        "context can only name earlier tasks"
    ]


def test_cycles_in_context_are_named_once() -> None:
    doc = crew(task("a", context=["c"]), task("b", context=["a"]), task("c", context=["b"]))
    assert messages(doc) == ["tasks[0].context: context makes a cycle: a -> c -> b -> a"]
    assert messages(crew(task("a", context=["a"]))) == [
        "tasks[0].context: context makes a cycle: a -> a"
    ]


def test_duplicate_keys_and_bad_keys() -> None:
    doc = crew(task("one"), task("one"), task("two words"),
               agents=[agent(), agent()],
               input_sets=[InputSet(name="a"), InputSet(name="a")])
    assert messages(doc) == [
        "agents[1].key: duplicate agent 'writer' (also agents[0])",
        "tasks[1].key: duplicate task 'one' (also tasks[0])",
        "tasks[2].key: task key 'two words' must start with a letter or _ and hold only "
        "letters, digits, _ and -",
        "input_sets[1].name: duplicate input set 'a' (also input_sets[0])",
    ]


def test_empty_crews_and_extras_that_shadow_fields() -> None:
    assert messages(CrewDocument(name="x")) == [
        "agents: the crew has no agents", "tasks: the crew has no tasks"
    ]
    doc = crew(task("one", extra={"agent": "x"}), agents=[agent(extra={"role": "r"})])
    assert messages(doc) == [
        "agents[0].extra.role: 'role' is an agent field; set it there",
        "tasks[0].extra.agent: 'agent' is a task field; set it there",
    ]


def test_max_iter_must_be_positive() -> None:
    assert messages(crew(task("one"), agents=[agent(max_iter=0)])) == [
        "agents[0].max_iter: max_iter must be 1 or more"
    ]


def test_documents_compare_by_value() -> None:
    assert crew(task("one")) == crew(task("one"))
    assert crew(task("one")) != crew(task("one", name="One"))


def test_manager_llm_and_human_input_kept_as_extras_become_fields() -> None:
    settings = CrewSettings.model_validate(
        {"extra": {"manager_llm": "openai/gpt-4o", "planning": True}}
    )
    assert (settings.manager_llm, settings.extra) == ("openai/gpt-4o", {"planning": True})
    spec = task("one", extra={"human_input": True, "markdown": True})
    assert (spec.human_input, spec.extra) == (True, {"markdown": True})
    clash = crew(task("one"), settings=CrewSettings(
        manager_llm="a/b", extra={"manager_llm": "c/d"}))
    assert messages(clash) == [
        "settings.extra.manager_llm: 'manager_llm' is a crew field; set it there"
    ]


def test_the_manager_agent_must_exist_have_no_tools_and_do_no_task() -> None:
    unknown = crew(task("one"), settings=CrewSettings(manager_agent="chief"))
    assert messages(unknown) == [
        "settings.manager_agent: unknown agent 'chief' (agents: writer)"
    ]
    chief = agent("chief", role="Chief", tools=["file_read"])
    doc = crew(task("one", agent_key="chief"), task("two"), agents=[agent(), chief],
               process="hierarchical", settings=CrewSettings(manager_agent="chief"))
    assert messages(doc) == [
        "agents[1].tools: agent 'chief' manages the crew, so it must have no tools "
        "(nor code execution)",
        "tasks[0].agent: task 'one' names the manager 'chief'; name a coworker, or no agent",
    ]
    assert messages(doc.model_copy(update={"process": "sequential"})) == []
    alone = crew(task("one", agent_key=None), agents=[agent("chief")], process="hierarchical",
                 settings=CrewSettings(manager_agent="chief"))
    assert messages(alone) == [
        "agents: the crew needs agents besides its manager 'chief' to delegate to"
    ]
