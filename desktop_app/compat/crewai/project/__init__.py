"""`crewai.project`: `@CrewBase` crew classes and their decorators, as CrewAI's.

    @CrewBase
    class ResearchCrew:
        agents_config = "config/agents.yaml"
        tasks_config = "config/tasks.yaml"

        @agent
        def researcher(self) -> Agent:
            return Agent(config=self.agents_config["researcher"], tools=[SerperDevTool()])

        @task
        def research_task(self) -> Task:
            return Task(config=self.tasks_config["research_task"])

        @crew
        def crew(self) -> Crew:
            return Crew(agents=self.agents, tasks=self.tasks, process=Process.sequential)
"""

from desktop_app.compat.crewai.project._annotations import (
    after_kickoff,
    agent,
    before_kickoff,
    cache_handler,
    callback,
    crew,
    llm,
    output_json,
    output_pydantic,
    task,
    tool,
)
from desktop_app.compat.crewai.project._config import ConfigError
from desktop_app.compat.crewai.project._crew_base import CrewBase
from desktop_app.compat.crewai.project.crew_loader import load_crew, load_crew_and_kickoff
from desktop_app.compat.crewai.project.json_loader import strip_jsonc_comments

__all__ = [
    "ConfigError",
    "CrewBase",
    "after_kickoff",
    "agent",
    "before_kickoff",
    "cache_handler",
    "callback",
    "crew",
    "llm",
    "load_crew",
    "load_crew_and_kickoff",
    "output_json",
    "output_pydantic",
    "strip_jsonc_comments",
    "task",
    "tool",
]
