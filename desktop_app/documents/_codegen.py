"""Python and TOML text of an exported CrewAI project, in the shape ``crewai create crew`` writes.

``crew.py`` has one ``@agent`` method per agent and one ``@task`` method per task, in order
(CrewAI runs tasks in the order of their methods), each reading its YAML config; a task's
``output_file`` is an argument of its ``Task(...)``, as ``crewai create crew`` writes it. One
``@tool`` method per tool name, which looks the tool up in ``crewai_tools``; and the ``@crew``
method with the process and the crew's other settings.

No crew text can become code (issue 12): every value is written by `py_literal` (a literal
``ast.literal_eval`` reads back, never the text itself), docstrings are string literals made
the same way, comments are one line, the package, class and method names are identifiers
(keys are checked by the export), and a keyword argument whose name is not an identifier (a
``settings.extra`` or ``llm_options`` key such as ``x=os.system('…')``) is passed in a
``**{'name': value}`` dict literal, so it reaches CrewAI as it was written and runs nothing. An agent with a base URL or LLM settings gets an
``llm=LLM(...)``. The manager agent of a hierarchical crew gets a plain method (no ``@agent``:
CrewAI refuses a manager among the crew's agents) that the ``@crew`` method passes as
``manager_agent``. Memory, the embedder and knowledge sources are arguments of ``Crew(...)``
and ``Agent(...)``, each source a CrewAI knowledge source call naming its file under the
project's ``knowledge/`` folder (see `_knowledge.export_plan`). ``main.py`` runs the crew with
the first input set.
"""

from __future__ import annotations

import json
import keyword
import math
import re
from collections.abc import Mapping
from typing import Any

from desktop_app.documents._knowledge import CREWAI_CLASS, crewai_call, knowledge_places
from desktop_app.documents._yaml import Loc
from desktop_app.documents.model import AgentSpec, CrewDocument, KnowledgeSourceSpec

KnowledgeNames = Mapping[Loc, str]
"""Each knowledge file's path under ``knowledge/`` (from `_knowledge.export_plan`), by place."""

CREWAI_REQUIREMENT = "crewai[tools]>=0.100.0,<2.0.0"


def package_name(name: str) -> str:
    """A Python package name for a crew name: ``Research & Write`` -> ``research_write``."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    if not slug:
        return "crew"
    return f"crew_{slug}" if slug[0].isdigit() or keyword.iskeyword(slug) else slug


def class_name(package: str) -> str:
    """A class name for a package: ``research_write`` -> ``ResearchWrite``."""
    return "".join(part.capitalize() for part in package.split("_") if part) or "Crew"


def py_literal(value: Any) -> str:
    """``value`` as Python source that `ast.literal_eval` reads back: never code.

    Strings, numbers, booleans, None, lists, tuples and dicts are written with ``repr`` (which
    escapes quotes, backslashes and line breaks); an infinite or NaN float as ``1e999``-style
    arithmetic on constants; any other value (a YAML date) as the ``repr`` of its text.
    """
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "(1e999 - 1e999)"
        if math.isinf(value):
            return "1e999" if value > 0 else "-1e999"
        return repr(value)
    if isinstance(value, list | tuple):
        items = ", ".join(py_literal(item) for item in value)
        return f"[{items}]" if isinstance(value, list) else f"({items}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    return repr(str(value))


def keyword_arguments(values: Mapping[str, Any]) -> list[str]:
    """``name=value`` arguments; names that are not identifiers go in one ``**{...}`` literal.

    A name from a crew file (``settings.extra``, ``llm_options``) is code once written as a
    keyword, so only a plain identifier that is not a Python keyword is written as one.
    """
    plain = [f"{name}={py_literal(value)}" for name, value in values.items() if is_safe_name(name)]
    odd = {name: value for name, value in values.items() if not is_safe_name(name)}
    return [*plain, f"**{py_literal(odd)}"] if odd else plain


def is_safe_name(name: object) -> bool:
    """True for a string that can be written as a Python name as it is."""
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


def docstring(text: str) -> str:
    """A docstring for ``text``: a string literal made by ``repr`` (a crew name with quotes
    or line breaks stays text)."""
    return py_literal(text)


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters as spaces, for a comment."""
    return "".join(" " if not char.isprintable() else char for char in text)


def _call(name: str, arguments: list[str], indent: str) -> str:
    if not arguments:
        return f"{name}()"
    lines = []
    for argument in arguments:
        code, comment = argument, ""
        if argument.startswith("config="):  # the only arguments that carry a comment
            code, _, comment = argument.partition("  # ")
        lines.append(f"{indent}    {code},{'  # ' + comment if comment else ''}\n")
    return f"{name}(\n{''.join(lines)}{indent})"


def _llm_argument(agent: AgentSpec) -> str | None:
    if agent.llm is None or (agent.base_url is None and not agent.llm_options):
        return None
    options: dict[str, Any] = {"model": agent.llm}
    if agent.base_url is not None:
        options["base_url"] = agent.base_url
    options.update(agent.llm_options)
    return "llm=" + _call("LLM", keyword_arguments(options), "            ")


def crew_py(doc: CrewDocument, package: str, names: KnowledgeNames | None = None) -> str:
    """The text of ``crew.py``.

    Args:
        doc: The crew.
        package: Its package name.
        names: Each knowledge file's path under ``knowledge/``; a file without one is
            named by its path in the document.
    """
    names = names or {}
    cls = class_name(package)
    lines = [
        docstring(f"The {doc.name} crew. Exported by CrewDesk; agents and tasks are in config/."),
        "",
        "from crewai import LLM, Agent, Crew, Process, Task",
        "from crewai.agents.agent_builder.base_agent import BaseAgent",
        "from crewai.project import CrewBase, agent, crew, task, tool",
        "from crewai.tools import BaseTool",
        *_knowledge_imports(doc),
        "",
        "",
        "def _crewai_tool(name: str) -> BaseTool:",
        '    """Makes the crewai_tools tool called `name` (SerperDevTool or serper_dev_tool)."""',
        "    import crewai_tools",
        "",
        '    class_name = name if name[:1].isupper() else name.title().replace("_", "")',
        "    tool_class = getattr(crewai_tools, class_name, None)",
        "    if tool_class is None:",
        "        raise LookupError(f\"crewai_tools has no {class_name}; define the tool {name!r} "
        "in crew.py\")",
        "    return tool_class()",
        "",
        "",
        "@CrewBase",
        f"class {cls}:",
        f"    {docstring(f'The {doc.name} crew.')}",
        "",
        "    agents: list[BaseAgent]",
        "    tasks: list[Task]",
    ]
    lines += _agent_methods(doc, names) + _task_methods(doc) + _tool_methods(doc)
    lines += _crew_method(doc, names)
    return "\n".join(lines) + "\n"


def _knowledge_imports(doc: CrewDocument) -> list[str]:
    """``from crewai.knowledge.source... import ...`` for each class the sources use."""
    used = {CREWAI_CLASS[spec.kind] for _loc, spec in knowledge_places(doc)}
    return [f"from {module} import {name}" for name, module in sorted(used, key=lambda c: c[1])]


def _knowledge_argument(
    specs: list[KnowledgeSourceSpec], place: Loc, names: KnowledgeNames, indent: str
) -> str:
    """``knowledge_sources=[...]`` with one source call per line."""
    calls = []
    for index, spec in enumerate(specs):
        class_name, arguments = crewai_call(spec, names.get((*place, index)))
        calls.append(f"{indent}        {class_name}({', '.join(arguments)}),\n")
    return f"knowledge_sources=[\n{''.join(calls)}{indent}    ]"


def manager_key(doc: CrewDocument) -> str | None:
    """The key of the agent that manages a hierarchical crew, if it has one."""
    return doc.settings.manager_agent if doc.process == "hierarchical" else None


def _agent_methods(doc: CrewDocument, names: KnowledgeNames) -> list[str]:
    lines: list[str] = []
    for index, spec in enumerate(doc.agents):
        arguments = [f"config=self.agents_config[{py_literal(spec.key)}]  # type: ignore[index]"]
        llm = _llm_argument(spec)
        if llm is not None:
            arguments.append(llm)
        if spec.knowledge_sources:
            place = ("agents", index, "knowledge_sources")
            arguments.append(_knowledge_argument(spec.knowledge_sources, place, names,
                                                 "        "))
        body = _call("Agent", arguments, "        ")
        if spec.key == manager_key(doc):
            head = ["", f"    def {spec.key}(self) -> Agent:",
                    '        """The manager (not an @agent: it is not one of the crew\'s agents)."""']
        else:
            head = ["", "    @agent", f"    def {spec.key}(self) -> Agent:"]
        lines += [*head, f"        return {body}"]
    return lines


def _task_methods(doc: CrewDocument) -> list[str]:
    lines: list[str] = []
    for spec in doc.tasks:
        arguments = [f"config=self.tasks_config[{py_literal(spec.key)}]  # type: ignore[index]"]
        if spec.output_file is not None:
            arguments.append(f"output_file={py_literal(spec.output_file)}")
        body = _call("Task", arguments, "        ")
        lines += ["", "    @task", f"    def {spec.key}(self) -> Task:", f"        return {body}"]
    return lines


def tool_names(doc: CrewDocument) -> list[str]:
    """Every tool name the agents use, once each, in order."""
    return list(dict.fromkeys(tool for spec in doc.agents for tool in spec.tools))


def _tool_methods(doc: CrewDocument) -> list[str]:
    lines: list[str] = []
    for name in tool_names(doc):
        lines += ["", "    @tool", f"    def {name}(self) -> BaseTool:",
                  f"        return _crewai_tool({py_literal(name)})"]
    return lines


def _crew_method(doc: CrewDocument, names: KnowledgeNames) -> list[str]:
    arguments = [
        "agents=self.agents",
        "tasks=self.tasks",
        f"process=Process.{doc.process}",
        f"verbose={py_literal(doc.settings.verbose)}",
    ]
    manager = manager_key(doc)
    if manager is not None:
        arguments.append(f"manager_agent=self.{manager}()")
    if doc.settings.manager_llm is not None:
        arguments.append(f"manager_llm={py_literal(doc.settings.manager_llm)}")
    if doc.settings.memory:
        arguments.append("memory=True")
    if doc.settings.embedder is not None:
        arguments.append(f"embedder={py_literal(doc.settings.embedder)}")
    if doc.settings.knowledge_sources:
        arguments.append(_knowledge_argument(doc.settings.knowledge_sources,
                                             ("settings", "knowledge_sources"), names, "        "))
    arguments += keyword_arguments(doc.settings.extra)
    return [
        "",
        "    @crew",
        "    def crew(self) -> Crew:",
        f"        {docstring(f'Creates the {doc.name} crew.')}",
        f"        return {_call('Crew', arguments, '        ')}",
    ]


def main_py(doc: CrewDocument, package: str) -> str:
    """The text of ``main.py``: ``run()`` kicks the crew off with the first input set."""
    cls = class_name(package)
    inputs = _inputs_literal(doc.default_inputs())
    return f'''#!/usr/bin/env python
{docstring(f"Runs the {doc.name} crew. Exported by CrewDesk.")}

from {package}.crew import {cls}


def run():
    """Run the crew."""
    inputs = {inputs}

    try:
        result = {cls}().crew().kickoff(inputs=inputs)
    except Exception as e:
        raise Exception(f"An error occurred while running the crew: {{e}}")
    print(result.raw)


if __name__ == "__main__":
    run()
'''


def _inputs_literal(values: Mapping[str, Any]) -> str:
    """The ``inputs`` dict of ``main.py``: one key per line, each a literal."""
    if not values:
        return "{}"
    lines = "".join(f"        {py_literal(key)}: {py_literal(value)},\n"
                    for key, value in values.items())
    return "{\n" + lines + "    }"


def _toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes (quotes, backslashes, every control character)
    are TOML's too."""
    return json.dumps(value, ensure_ascii=False)


def pyproject_toml(doc: CrewDocument, package: str) -> str:
    """The text of ``pyproject.toml``, as ``crewai create crew`` writes it."""
    description = doc.description.strip().splitlines()[0] if doc.description.strip() else ""
    return f"""[project]
name = {_toml_string(package)}
version = "0.1.0"
description = {_toml_string(description or f"{doc.name} using crewAI")}
authors = [{{ name = "Your Name", email = "you@example.com" }}]
requires-python = ">=3.10,<3.14"
dependencies = [
    {_toml_string(CREWAI_REQUIREMENT)}
]

[project.scripts]
{package} = "{package}.main:run"
run_crew = "{package}.main:run"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.crewai]
type = "crew"
"""


def readme(doc: CrewDocument, package: str) -> str:
    """A short README for the exported project."""
    return (
        f"# {doc.name}\n\n{doc.description.strip()}\n\n"
        "Exported by CrewDesk as a CrewAI project. Agents and tasks are in "
        f"`src/{package}/config/`; run it with `crewai install` and `crewai run`.\n"
        "`crewdesk.yaml` holds CrewDesk's own settings (input sets, credential names); "
        "CrewAI ignores it.\n"
    )

