"""Export injection (issue 12, point 5): no crew text can become code in an exported project.

A crew whose every text field, name, ``settings.extra`` key and ``llm_options`` key carries an
injection payload (quotes, triple quotes, line breaks, backslashes, ``__import__``) is exported;
the generated Python is parsed and walked (every call is one the template makes, no payload
outside a string constant), the YAML and TOML read back as data, and the exported project's
modules are imported under the compat layer in a child process: the payload's marker file must
not appear.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from desktop_app.documents import (
    AgentSpec,
    CrewDocument,
    CrewSettings,
    InputSet,
    KnowledgeSourceSpec,
    TaskSpec,
    export_crewai_project,
    import_crewai_project,
)
from desktop_app.documents._codegen import class_name, package_name, py_literal

TOKEN = "PWNED"


def payloads(marker: Path) -> list[str]:
    """Texts that would run ``touch marker`` if written into Python unescaped."""
    run = f"__import__('os').system('touch {marker}')"
    return [
        f'"""); {run}; ("""',
        f"'''); {run}; ('''",
        f"'); {run}; ('",
        f'"); {run}; ("',
        f"x\n{run}\n#",
        f"\\\n{run}",
        f"\r{run}\u2028{run}",
        f"{{{run}}}",
        f"x={run}, y",
        f"{TOKEN}\"\"\"\n{run}\n\"\"\"",
    ]


def hostile_crew(marker: Path) -> CrewDocument:
    texts = payloads(marker)
    odd_names = {text: text for text in texts} | {"import": 1, "x=1)\n" + TOKEN: 2}
    return CrewDocument(
        name=texts[0],
        description=texts[4],
        settings=CrewSettings(
            stream=False, memory=True, manager_llm=texts[1], extra=odd_names,
            embedder={"provider": texts[2], "config": {"model": texts[3], texts[5]: texts[6]}},
            knowledge_sources=[KnowledgeSourceSpec(kind="string", content=text) for text in texts],
        ),
        agents=[
            AgentSpec(key="writer", role=texts[2], goal=texts[3], backstory=texts[4],
                      llm=texts[5], base_url=texts[6], llm_options=odd_names | {
                          "temperature": float("inf"), "top_p": float("nan")}),
            AgentSpec(key="editor", role=texts[7], goal=texts[8], backstory=texts[9]),
        ],
        tasks=[
            TaskSpec(key="draft", name=texts[0], description=texts[1], expected_output=texts[2],
                     agent="writer", output_file=texts[3]),
            TaskSpec(key="review", description=texts[4], expected_output=texts[5],
                     agent="editor", context=["draft"]),
        ],
        input_sets=[InputSet(name=texts[6], values={text: text for text in texts})],
    )


ALLOWED_CALLS = {
    "Agent", "Task", "Crew", "LLM", "StringKnowledgeSource", "_crewai_tool", "getattr",
    "LookupError", "name.title", "name.title().replace", "name[:1].isupper", "tool_class",
    "Exception", "print", "run",
}


class _Blank(ast.NodeTransformer):
    """Empties every string constant, so what is left is the code alone."""

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:  # noqa: N802 - ast's name
        return ast.Constant("") if isinstance(node.value, str) else node


def check_python(text: str, allowed_calls: set[str], package: str, cls: str) -> None:
    """Every call is one the template makes, every import CrewAI's or the package's own, and
    no payload survives outside a string (the package and class names are identifiers made
    from the crew's name: letters, digits and ``_`` only, so they are set aside)."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            assert ast.unparse(node.func) in allowed_calls, ast.unparse(node)
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").startswith(("crewai", f"{package}.")), node.module
        if isinstance(node, ast.Import):
            assert [alias.name for alias in node.names] == ["crewai_tools"]
    code = ast.unparse(_Blank().visit(tree)).replace(package, "P").replace(cls, "C")
    for word in ("__import__", "system", "touch", TOKEN, "marker"):
        assert word not in code, code


@pytest.fixture
def exported(tmp_path: Path) -> tuple[Path, Path, CrewDocument]:
    marker = tmp_path / "marker"
    doc = hostile_crew(marker)
    package = export_crewai_project(doc, tmp_path / "out")
    return package, marker, doc


def test_the_generated_python_holds_crew_text_only_as_strings(
    exported: tuple[Path, Path, CrewDocument],
) -> None:
    package, _marker, doc = exported
    name = package_name(doc.name)
    cls = class_name(name)
    assert name == package.name and name.isidentifier() and cls.isidentifier()
    allowed = ALLOWED_CALLS | {cls, f"{cls}().crew", f"{cls}().crew().kickoff"}
    for file in ("crew.py", "main.py"):
        check_python((package / file).read_text(encoding="utf-8"), allowed, name, cls)
    crew_py = ast.parse((package / "crew.py").read_text(encoding="utf-8"))
    # Odd keyword names reach CrewAI as they were written, in a ** dict literal.
    calls = {ast.unparse(node.func): node for node in ast.walk(crew_py)
             if isinstance(node, ast.Call)}
    crew_extra = next(k.value for k in calls["Crew"].keywords if k.arg is None)
    assert ast.literal_eval(crew_extra) == doc.settings.extra
    llm_options = ast.literal_eval(next(k.value for k in calls["LLM"].keywords if k.arg is None))
    assert llm_options == doc.settings.extra  # the same odd names; temperature is plain
    text = (package / "crew.py").read_text(encoding="utf-8")
    assert "temperature=1e999," in text and "top_p=(1e999 - 1e999)," in text
    # Docstrings say the crew's name as text.
    docstring = ast.get_docstring(crew_py)
    assert docstring is not None and doc.name in docstring


def test_the_yaml_and_toml_read_back_as_the_same_data(
    exported: tuple[Path, Path, CrewDocument],
) -> None:
    package, _marker, doc = exported
    agents = yaml.safe_load((package / "config" / "agents.yaml").read_text(encoding="utf-8"))
    tasks = yaml.safe_load((package / "config" / "tasks.yaml").read_text(encoding="utf-8"))
    assert list(agents) == ["writer", "editor"] and list(tasks) == ["draft", "review"]
    assert agents["editor"]["backstory"] == doc.agents[1].backstory
    pyproject = tomllib.loads((package.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(pyproject) == {"project", "build-system", "tool"}
    again = import_crewai_project(package.parents[1]).document
    assert again.name == doc.name and again.tasks[0].description == doc.tasks[0].description


def test_importing_the_exported_project_runs_no_payload(
    exported: tuple[Path, Path, CrewDocument],
) -> None:
    package, marker, _doc = exported
    script = (
        "import sys, importlib\n"
        f"sys.path.insert(0, {str(package.parent)!r})\n"
        "from desktop_app import compat\n"
        "with compat.installed():\n"
        f"    main = importlib.import_module('{package.name}.main')\n"
        f"    crew_module = importlib.import_module('{package.name}.crew')\n"
        "    cls = [v for k, v in vars(crew_module).items() if isinstance(v, type)\n"
        "           and v.__module__ == crew_module.__name__][0]\n"
        "    try:\n"
        "        cls().crew()\n"
        "    except Exception as exc:\n"
        "        print('build refused:', type(exc).__name__)\n"
        "print('imported')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, check=False, cwd=package.parents[1])
    assert "imported" in result.stdout, result.stderr
    assert not marker.exists()


@pytest.mark.parametrize("value", [
    "a'b\"c\\d\n\r\t\x00\u2028", float("inf"), float("-inf"), float("nan"), [1, (2,), {"k": None}],
    {"__import__('os')": True}, 10**30,
])
def test_py_literal_is_always_a_literal(value: object) -> None:
    text = py_literal(value)
    tree = ast.parse(text, mode="eval")
    names = [node for node in ast.walk(tree) if isinstance(node, ast.Name | ast.Call)]
    assert names == [], text
    back = eval(compile(tree, "<literal>", "eval"), {"__builtins__": {}})  # noqa: S307 - checked
    assert repr(back) == repr(value)
