from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task
from crewai.agents.agent_builder.base_agent import BaseAgent
from typing import List


@CrewBase
class Newsroom():
    """Newsroom crew: the editor delegates within a sequential crew."""

    agents: List[BaseAgent]
    tasks: List[Task]

    @agent
    def editor(self) -> Agent:
        return Agent(config=self.agents_config['editor'], verbose=True)  # type: ignore[index]

    @agent
    def reporter(self) -> Agent:
        return Agent(config=self.agents_config['reporter'], verbose=True)  # type: ignore[index]

    @agent
    def fact_checker(self) -> Agent:
        return Agent(config=self.agents_config['fact_checker'], verbose=True)  # type: ignore[index]

    @task
    def story_task(self) -> Task:
        return Task(config=self.tasks_config['story_task'])  # type: ignore[index]

    @task
    def headline_task(self) -> Task:
        return Task(config=self.tasks_config['headline_task'])  # type: ignore[index]

    @crew
    def crew(self) -> Crew:
        """Creates the Newsroom crew"""
        return Crew(
            agents=self.agents,
            tasks=self.tasks,
            process=Process.sequential,
            verbose=True,
        )
