from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task
from crewai.agents.agent_builder.base_agent import BaseAgent
from typing import List


@CrewBase
class ContentPipeline():
    """Research, write and edit a blog post; tasks are wired to agents in code."""

    agents: List[BaseAgent]
    tasks: List[Task]

    @agent
    def researcher(self) -> Agent:
        return Agent(config=self.agents_config['researcher'], verbose=True)  # type: ignore[index]

    @agent
    def writer(self) -> Agent:
        return Agent(config=self.agents_config['writer'], verbose=True)  # type: ignore[index]

    @agent
    def editor(self) -> Agent:
        # This one lives only in code, not in agents.yaml.
        return Agent(
            role="Chief Editor",
            goal="Make sure every post is accurate and well written",
            backstory="Twenty years at a newspaper taught you to check everything twice.",
            allow_delegation=False,
            verbose=True,
        )

    @task
    def research_task(self) -> Task:
        return Task(
            config=self.tasks_config['research_task'],  # type: ignore[index]
            agent=self.researcher(),
        )

    @task
    def write_task(self) -> Task:
        return Task(
            config=self.tasks_config['write_task'],  # type: ignore[index]
            agent=self.writer(),
            context=[self.research_task()],
        )

    @task
    def edit_task(self) -> Task:
        return Task(
            config=self.tasks_config['edit_task'],  # type: ignore[index]
            agent=self.editor(),
            context=[self.research_task(), self.write_task()],
        )

    @crew
    def crew(self) -> Crew:
        """Creates the ContentPipeline crew"""
        return Crew(
            agents=self.agents,
            tasks=self.tasks,
            process=Process.sequential,
            verbose=True,
        )
