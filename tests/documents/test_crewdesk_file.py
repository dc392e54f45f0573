"""CrewDesk's own crew files: readable YAML, exact round trips, atomic writes, clear errors."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.documents import (
    CURRENT_SCHEMA_VERSION,
    AgentSpec,
    CrewDocument,
    CrewFileError,
    CrewSettings,
    InputSet,
    SchemaVersionError,
    TaskSpec,
    dumps_crew,
    load_crew,
    migrate,
    open_crew_file,
    save_crew,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def full_document() -> CrewDocument:
    return CrewDocument(
        name="Research and write",
        description="Two agents.\nSecond line.",
        settings=CrewSettings(stream=False, verbose=True, memory=True, extra={"planning": True}),
        agents=[
            AgentSpec(key="researcher", role="{topic} researcher", goal="Find facts\n",
                      backstory="Digs.", llm="openai/gpt-4o-mini", base_url="http://x/v1",
                      credential="openai-work", llm_options={"temperature": 0.2},
                      tools=["search"], allow_code_execution=True, max_iter=4, verbose=False,
                      extra={"allow_delegation": False, "when": "2024-01-01"}),
            AgentSpec(key="writer", role="Writer", goal="Write", backstory="Writes."),
        ],
        tasks=[
            TaskSpec(key="research", name="Research", description='About {topic}: {"a": 1}',
                     expected_output="Facts.", agent="researcher", context=[]),
            TaskSpec(key="write", description="Write.", expected_output="Text.",
                     agent="writer", context=["research"], extra={"output_file": "r.md"}),
        ],
        input_sets=[InputSet(name="default", values={"topic": "tides", "ages": [1, 2.5]})],
    )


def write(tmp_path: Path, text: str, name: str = "crew.crew.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def error_of(path: Path) -> CrewFileError:
    with pytest.raises(CrewFileError) as caught:
        load_crew(path)
    return caught.value


VALID = textwrap.dedent("""
    schema_version: 1
    name: Small
    agents:
      - key: writer
        role: Writer
        goal: Write
        backstory: Writes.
    tasks:
      - key: write
        description: Write about {topic}.
        expected_output: Text.
        agent: writer
""").lstrip()


def test_save_then_load_gives_an_equal_document(tmp_path: Path) -> None:
    doc = full_document()
    save_crew(doc, tmp_path / "a.crew.yaml")
    assert load_crew(tmp_path / "a.crew.yaml") == doc


def test_the_file_is_readable_yaml_with_the_version_first(tmp_path: Path) -> None:
    text = dumps_crew(full_document())
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body[:3] == [f"schema_version: {CURRENT_SCHEMA_VERSION}", "name: Research and write",
                        "description: |-"]
    assert "  goal: |\n      Find facts\n" in text.replace("  - key", "  ")  # literal block
    assert "api_key" not in text and "sk-" not in text


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=80), value=st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                               max_size=3),
    max_leaves=6,
))
def test_any_text_and_values_survive_a_round_trip(tmp_path: Path, text: str, value: object) -> None:
    doc = CrewDocument(
        name=text,
        agents=[AgentSpec(key="a", role=text, goal=text + "\n", backstory=" " + text,
                          extra={"x": value})],
        tasks=[TaskSpec(key="t", description=text, expected_output=text, agent="a")],
        input_sets=[InputSet(name=text, values={"v": value})],
    )
    save_crew(doc, tmp_path / "h.crew.yaml")
    assert load_crew(tmp_path / "h.crew.yaml") == doc


def test_every_shipped_example_loads_and_round_trips(tmp_path: Path) -> None:
    examples = sorted(EXAMPLES.glob("*.crew.yaml"))
    assert len(examples) >= 3
    for path in examples:
        doc = load_crew(path)
        save_crew(doc, tmp_path / path.name)
        assert load_crew(tmp_path / path.name) == doc


def test_saving_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.crew.yaml"
    save_crew(full_document(), path)
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(CrewFileError, match="No space left on device"):
        save_crew(full_document().model_copy(update={"name": "Other"}), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.crew.yaml"]


def test_saving_a_document_with_problems_is_refused(tmp_path: Path) -> None:
    doc = full_document()
    doc.tasks[0].agent = "nobody"
    with pytest.raises(CrewFileError, match="unknown agent 'nobody'"):
        save_crew(doc, tmp_path / "a.crew.yaml")
    assert not (tmp_path / "a.crew.yaml").exists()


def test_wrong_yaml_names_the_line(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "schema_version: 1\nname: [unclosed\nagents: []\n"))
    assert error.line == 3
    assert str(error).startswith(f"{tmp_path / 'crew.crew.yaml'}:3: not valid YAML")


def test_missing_required_field_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("    goal: Write\n", ""))
    error = error_of(path)
    assert (error.path, error.line, error.field) == (path, 4, "agents[0].goal")
    assert error.message == "missing required field 'goal'"


def test_unknown_field_and_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("role: Writer", "rol: Writer")
                 .replace("agent: writer", "agent: [writer]"))
    problems = {(p.line, p.field, p.message) for p in error_of(path).problems}
    assert problems == {
        (4, "agents[0].role", "missing required field 'role'"),
        (5, "agents[0].rol", "unknown field 'rol'"),
        (12, "tasks[0].agent", "must be text, not ['writer']"),
    }


def test_unknown_agent_names_its_line(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, VALID.replace("agent: writer", "agent: editor")))
    assert (error.line, error.field) == (12, "tasks[0].agent")
    assert "unknown agent 'editor'" in error.message


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, VALID + "name: Again\n"))
    assert (error.line, error.field) == (13, "name")
    assert error.message == "duplicate key 'name' (first at line 2)"


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "- just\n- a list\n"))
    assert error.line == 1
    assert "must be a mapping" in error.message


def test_missing_file(tmp_path: Path) -> None:
    assert str(error_of(tmp_path / "nope.crew.yaml")).endswith("nope.crew.yaml: file not found")


def test_schema_version_missing_or_too_new(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, VALID.replace("schema_version: 1\n", "")))
    assert error.field == "schema_version"
    assert error.message == "missing schema_version (this CrewDesk writes 1)"
    error = error_of(write(tmp_path, VALID.replace("schema_version: 1", "schema_version: 7")))
    assert (error.line, error.field) == (1, "schema_version")
    assert "newer than this CrewDesk understands" in error.message


def test_old_versions_are_migrated_in_turn() -> None:
    def v1_to_v2(data: dict[str, object]) -> dict[str, object]:
        title = data.pop("name")
        return {**data, "title": title}

    def v2_to_v3(data: dict[str, object]) -> dict[str, object]:
        name = str(data.pop("title")).upper()
        return {**data, "name": name}

    migrated = migrate({"schema_version": 1, "name": "x"}, migrations={1: v1_to_v2, 2: v2_to_v3},
                       current=3)
    assert migrated == {"schema_version": 3, "name": "X"}
    with pytest.raises(SchemaVersionError, match="no migration from schema_version 2"):
        migrate({"schema_version": 2}, migrations={1: v1_to_v2}, current=3)


def test_open_crew_file_places_missing_inputs(tmp_path: Path) -> None:
    loaded = open_crew_file(write(tmp_path, VALID))
    loaded.check_inputs({"topic": "x"})
    with pytest.raises(CrewFileError) as caught:
        loaded.check_inputs({})
    assert (caught.value.line, caught.value.field) == (10, "tasks[0].description")
    assert caught.value.message == "placeholder {topic} has no input"


def test_a_hierarchical_crew_with_human_input_round_trips(tmp_path: Path) -> None:
    doc = full_document().model_copy(update={"process": "hierarchical"})
    doc.settings.manager_llm = "openai/gpt-4o"
    doc.settings.manager_agent = "researcher"
    doc.agents[0].tools, doc.agents[0].allow_code_execution = [], False
    doc.tasks[0].agent, doc.tasks[1].agent = None, None
    doc.tasks[1].human_input = True
    save_crew(doc, tmp_path / "a.crew.yaml")
    text = (tmp_path / "a.crew.yaml").read_text(encoding="utf-8")
    assert "  manager_llm: openai/gpt-4o\n  manager_agent: researcher\n" in text
    assert "  human_input: true\n" in text
    assert load_crew(tmp_path / "a.crew.yaml") == doc


def test_older_files_that_kept_manager_llm_and_human_input_as_extras_load_them(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, VALID.replace("name: Small\n", (
        "name: Small\nprocess: hierarchical\nsettings:\n  extra:\n    manager_llm: m/x\n"
    )) + "    extra:\n      human_input: true\n")
    doc = load_crew(path)
    assert (doc.settings.manager_llm, doc.settings.extra) == ("m/x", {})
    assert (doc.tasks[0].human_input, doc.tasks[0].extra) == (True, {})
