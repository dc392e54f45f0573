from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task
from crewai.agents.agent_builder.base_agent import BaseAgent
from typing import List


@CrewBase
class EventPlanning():
    """EventPlanning crew: CrewAI's planner writes a plan before the tasks run."""

    agents: List[BaseAgent]
    tasks: List[Task]

    @agent
    def venue_scout(self) -> Agent:
        return Agent(config=self.agents_config['venue_scout'], verbose=True)  # type: ignore[index]

    @agent
    def coordinator(self) -> Agent:
        return Agent(config=self.agents_config['coordinator'], verbose=True)  # type: ignore[index]

    @task
    def venue_task(self) -> Task:
        return Task(config=self.tasks_config['venue_task'])  # type: ignore[index]

    @task
    def schedule_task(self) -> Task:
        return Task(config=self.tasks_config['schedule_task'])  # type: ignore[index]

    @crew
    def crew(self) -> Crew:
        """Creates the EventPlanning crew"""
        return Crew(
            agents=self.agents,
            tasks=self.tasks,
            process=Process.sequential,
            planning=True,
            planning_llm="gpt-4o-mini",
            verbose=True,
        )
