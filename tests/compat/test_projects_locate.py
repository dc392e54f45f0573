"""`locate`: every layout `crewai create crew` has made, scripts, notebooks; no code runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_app.compat._project_env import load_env_file, parse_env
from desktop_app.compat.projects import ProjectError, ProjectWarning, locate

PYPROJECT = """[project]
name = "{name}"
version = "0.1.0"

[project.scripts]
{name} = "{name}.main:run"
run_crew = "{name}.main:run"

[tool.crewai]
type = "crew"
"""


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def current_template(root: Path, name: str = "my_crew") -> Path:
    write(root / "pyproject.toml", PYPROJECT.format(name=name))
    package = root / "src" / name
    for file in ("__init__.py", "crew.py", "main.py", "config/agents.yaml", "config/tasks.yaml"):
        write(package / file)
    return package


def test_the_current_template_from_its_root_its_package_or_its_config(tmp_path: Path) -> None:
    package = current_template(tmp_path / "proj")
    for given in (tmp_path / "proj", tmp_path / "proj" / "src", package, package / "config",
                  package / "main.py", package / "crew.py"):
        spec = locate(given)
        assert spec.kind == "project" and spec.root == tmp_path / "proj"
        assert spec.entry == package / "crew.py" and spec.name == "my_crew"
        assert spec.source_dir == tmp_path / "proj" / "src"
        assert (spec.main_module, spec.main_function) == ("my_crew.main", "run")
        assert spec.crew_module == "my_crew.crew"


def test_the_classic_layout_at_the_root_with_poetry_scripts(tmp_path: Path) -> None:
    root = tmp_path / "trip"
    write(root / "pyproject.toml", '[tool.poetry]\nname = "trip"\n\n[tool.poetry.scripts]\n'
          'trip = "main:run"\n')
    for file in ("crew.py", "main.py", "tools.py", "config/agents.yaml"):
        write(root / file)
    spec = locate(root)
    assert (spec.entry, spec.source_dir, spec.main_module) == (root / "crew.py", root, "main")
    assert spec.crew_module == "crew" and spec.name == "trip"
    assert locate(root / "main.py") == spec and locate(root / "tools.py").kind == "script"


def test_a_package_at_the_root_without_pyproject(tmp_path: Path) -> None:
    root = tmp_path / "old"
    for file in ("pkg/__init__.py", "pkg/crew.py", "pkg/main.py", "pkg/config/agents.yaml"):
        write(root / file)
    spec = locate(root)
    assert (spec.crew_module, spec.main_module, spec.source_dir) == ("pkg.crew", "pkg.main", root)


def test_main_py_at_the_root_beside_a_src_package(tmp_path: Path) -> None:
    root = tmp_path / "mixed"
    write(root / "main.py")
    write(root / "src" / "pkg" / "crew.py")
    write(root / "src" / "pkg" / "config" / "agents.yaml")
    spec = locate(root)
    assert (spec.crew_module, spec.main_module) == ("pkg.crew", "main")


def test_no_main_py_leaves_the_entry_to_the_crew(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    write(root / "src" / "pkg" / "crew.py")
    write(root / "src" / "pkg" / "config" / "agents.yaml")
    assert locate(root).main_module is None


def test_the_json_crew_template(tmp_path: Path) -> None:
    write(tmp_path / "j" / "crew.jsonc", "{}")
    spec = locate(tmp_path / "j")
    assert spec.is_json_crew and spec.entry == tmp_path / "j" / "crew.jsonc"
    assert locate(tmp_path / "j" / "crew.jsonc").is_json_crew


def test_scripts_and_notebooks(tmp_path: Path) -> None:
    script = write(tmp_path / "crew_script.py", "print(1)\n")
    notebook = write(tmp_path / "nb.ipynb", "{}")
    assert (locate(script).kind, locate(script).name, locate(script).root) == (
        "script", "crew_script", tmp_path)
    assert locate(notebook).kind == "notebook"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir(), "no CrewAI project found here"),
        (lambda p: None, "no such file or folder"),
        (lambda p: write(p.with_name("x.txt")), "not a CrewAI project, Python script"),
        (lambda p: [current_template(p, "a"), current_template(p, "b"),
                    (p / "pyproject.toml").unlink()], "holds several crews"),
        (lambda p: write(p / "pyproject.toml", "[project\n"), "not valid TOML"),
    ],
)
def test_what_is_not_a_project_says_why(tmp_path: Path, make: object, message: str) -> None:
    target = tmp_path / "p"
    make(target)  # type: ignore[operator]
    given = tmp_path / "x.txt" if (tmp_path / "x.txt").exists() else target
    with pytest.raises(ProjectError, match=message) as caught:
        locate(given)
    assert str(caught.value).startswith(str(caught.value.path))


def test_dotenv_is_parsed_without_overriding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = ('# comment\nexport CD_A=one\nCD_B="two # not a comment\\n"\nCD_C=\'x\\n\'\n'
            "CD_D=four # a comment\nCD_SET=from-file\n\n")
    assert parse_env(text, tmp_path / ".env") == {
        "CD_A": "one", "CD_B": "two # not a comment\n", "CD_C": "x\\n", "CD_D": "four",
        "CD_SET": "from-file"}
    write(tmp_path / ".env", text)
    for name in ("CD_A", "CD_B", "CD_C", "CD_D"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CD_SET", "from-shell")
    assert load_env_file(tmp_path) == ["CD_A", "CD_B", "CD_C", "CD_D"]
    assert os.environ["CD_SET"] == "from-shell" and os.environ["CD_A"] == "one"


def test_a_dotenv_line_that_is_not_an_assignment_is_named(tmp_path: Path) -> None:
    with pytest.warns(ProjectWarning, match=r"\.env:2: not a KEY=VALUE line"):
        assert parse_env("A=1\nnonsense\n", tmp_path / ".env") == {"A": "1"}


def test_a_flow_project_is_found_by_its_pyproject(tmp_path: Path) -> None:
    root = tmp_path / "flow"
    write(root / "pyproject.toml", '[project]\nname = "f"\n\n[project.scripts]\nkickoff = '
          '"my_flow.main:kickoff"\n\n[tool.crewai]\ntype = "flow"\n')
    write(root / "src" / "my_flow" / "main.py", "def kickoff():\n    pass\n")
    for path in (root, root / "src" / "my_flow" / "main.py"):
        spec = locate(path)
        assert (spec.kind, spec.name, spec.main_module, spec.main_function) == (
            "flow", "my_flow", "my_flow.main", "kickoff")
        assert spec.entry == root / "src" / "my_flow" / "main.py"


def test_a_flow_project_without_main_py_says_where_it_looks(tmp_path: Path) -> None:
    write(tmp_path / "flow" / "pyproject.toml", '[project]\nname = "f"\n\n[tool.crewai]\n'
          'type = "flow"\n')
    with pytest.raises(ProjectError) as caught:
        locate(tmp_path / "flow")
    assert "src/<name>/main.py" in caught.value.message


def test_main_py_inputs_are_worked_out_without_running_it(tmp_path: Path) -> None:
    from desktop_app.compat._project_crew import main_inputs

    main_py = write(tmp_path / "main.py", (
        "from datetime import datetime\nimport sys\n\nsys.exit(1)\n\n\ndef run():\n"
        "    inputs = {\n        'topic': 'AI LLMs',\n"
        "        'current_year': str(datetime.now().year),\n"
        "        'secret': load_secret(),\n    }\n"))
    with pytest.warns(ProjectWarning, match=r"main\.py:11: input 'secret' could not be worked"):
        values = main_inputs(main_py)
    assert values["topic"] == "AI LLMs" and values["current_year"].isdigit()
    assert "secret" not in values
    assert main_inputs(write(tmp_path / "other.py", "x = (\n")) == {}
    direct = write(tmp_path / "direct.py", "def run():\n    Crew().crew().kickoff("
                   "inputs={'city': 'Rotterdam', 'attendees': '80'})\n")
    assert main_inputs(direct) == {"city": "Rotterdam", "attendees": "80"}
