"""CrewAI projects written by hand, in both layouts, for the import and export tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

WriteTree = Callable[[dict[str, str]], Path]
"""Writes relative path -> text under a fresh folder and returns the folder."""


def _d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Writes ``files`` (relative path -> text, dedented) under ``root``; returns ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


CLASSIC_AGENTS = _d("""
    researcher:
      role: >
        {topic} Senior Data Researcher
      goal: >
        Uncover cutting-edge developments in {topic}
      backstory: >
        You're a seasoned researcher with a knack for uncovering the latest
        developments in {topic}. Known for finding the most relevant information.
      llm: openai/gpt-4o-mini
      tools:
        - serper_dev_tool
      allow_delegation: false
    reporting_analyst:
      role: >
        {topic} Reporting Analyst
      goal: Create detailed reports based on {topic} data analysis
      backstory: You're a meticulous analyst with a keen eye for detail.
      max_iter: 5
      max_rpm: 10
""")

CLASSIC_TASKS = _d("""
    research_task:
      description: >
        Conduct a thorough research about {topic}.
        Make sure you find any interesting and relevant information given
        the current year is {current_year}. Reply as JSON like {"facts": []}.
      expected_output: >
        A list with 10 bullet points of the most relevant information about {topic}
      agent: researcher
    reporting_task:
      description: >
        Review the context you got and expand each topic into a full section for a report.
      expected_output: >
        A fully fledged report with the main topics, each with a full section of information.
      agent: reporting_analyst
      context:
        - research_task
      markdown: true
""")

CLASSIC_CREW_PY = _d("""
    from crewai import Agent, Crew, Process, Task, LLM
    from crewai.project import CrewBase, agent, crew, task
    from crewai.agents.agent_builder.base_agent import BaseAgent
    from crewai_tools import SerperDevTool


    @CrewBase
    class ResearchCrew():
        \"\"\"ResearchCrew crew\"\"\"

        agents: list[BaseAgent]
        tasks: list[Task]

        @agent
        def researcher(self) -> Agent:
            return Agent(
                config=self.agents_config['researcher'], # type: ignore[index]
                verbose=True
            )

        @agent
        def reporting_analyst(self) -> Agent:
            return Agent(
                config=self.agents_config['reporting_analyst'], # type: ignore[index]
                llm=LLM(model="llama3", provider="ollama", base_url="http://localhost:11434",
                        temperature=0.2),
                verbose=True,
                step_callback=self.log_step,
            )

        @task
        def research_task(self) -> Task:
            return Task(config=self.tasks_config['research_task'])  # type: ignore[index]

        @task
        def reporting_task(self) -> Task:
            return Task(
                config=self.tasks_config['reporting_task'], # type: ignore[index]
                output_file='report.md'
            )

        @crew
        def crew(self) -> Crew:
            \"\"\"Creates the ResearchCrew crew\"\"\"
            return Crew(
                agents=self.agents,
                tasks=self.tasks,
                process=Process.sequential,
                verbose=True,
                memory=True,
            )
""")

CLASSIC_MAIN_PY = _d("""
    #!/usr/bin/env python
    import sys
    from datetime import datetime

    from research_crew.crew import ResearchCrew


    def run():
        inputs = {
            'topic': 'AI LLMs',
            'current_year': str(datetime.now().year)
        }
        ResearchCrew().crew().kickoff(inputs=inputs)
""")

CLASSIC_PYPROJECT = _d("""
    [project]
    name = "research_crew"
    version = "0.1.0"
    description = "research_crew using crewAI"
    dependencies = ["crewai[tools]>=0.100"]

    [tool.crewai]
    type = "crew"
""")


def classic_project() -> dict[str, str]:
    """The files of a classic project as ``crewai create crew --classic`` lays them out."""
    return {
        "pyproject.toml": CLASSIC_PYPROJECT,
        "src/research_crew/__init__.py": "",
        "src/research_crew/config/agents.yaml": CLASSIC_AGENTS,
        "src/research_crew/config/tasks.yaml": CLASSIC_TASKS,
        "src/research_crew/crew.py": CLASSIC_CREW_PY,
        "src/research_crew/main.py": CLASSIC_MAIN_PY,
    }


JSONC_CREW = _d("""
    {
      // Display name for this crew
      "name": "Research Crew",

      // Agents to include — each must have a matching agents/<name>.jsonc file
      "agents": ["researcher", "analyst"],

      "tasks": [
        {
          "name": "research_task",
          /* What the task should accomplish */
          "description": "Research {topic} thoroughly. Return JSON like {\\"items\\": []}.",
          "expected_output": "Key findings about {topic}.",
          "agent": "researcher",
        },
        {
          "name": "report_task",
          "description": "Write a report about {topic} for {audience}.",
          "expected_output": "A markdown report.",
          "agent": "analyst",
          "context": ["research_task"],
          "output_file": "output/report.md",
        },
      ],
      "process": "sequential",
      "verbose": true,
      "memory": false,
      // "planning": false,
      "inputs": {"topic": "AI agents", "audience": "engineers"}
    }
""")

JSONC_RESEARCHER = _d("""
    {
      // Agent's role title
      "role": "Senior {topic} Researcher",
      "goal": "Find the latest on {topic}",
      "backstory": "Expert at concise technical research.",
      "llm": "anthropic/claude-sonnet-4-6",
      "tools": ["SerperDevTool", "custom:file_read"],
      "settings": {
        "verbose": false,
        "allow_delegation": false,
        "max_iter": 12,
      }
    }
""")

JSONC_ANALYST = _d("""
    {
      "role": "Reporting analyst",
      "goal": "Turn research into a report",
      "backstory": "Writes clear reports.",
      "llm": {"model": "llama3", "provider": "ollama", "base_url": "http://localhost:11434",
              "temperature": 0.3, "api_key": "sk-should-not-be-kept"},
      "tools": [],
      "reasoning": true,
      "settings": {"allow_code_execution": true}
    }
""")


def jsonc_project() -> dict[str, str]:
    """The files of a JSON-first project as ``crewai create crew`` lays them out."""
    return {
        "crew.jsonc": JSONC_CREW,
        "agents/researcher.jsonc": JSONC_RESEARCHER,
        "agents/analyst.jsonc": JSONC_ANALYST,
        "pyproject.toml": '[project]\nname = "research_crew"\n',
    }
