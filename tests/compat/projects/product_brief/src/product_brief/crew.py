from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task
from crewai.agents.agent_builder.base_agent import BaseAgent
from typing import List

from product_brief.models import CompetitorList, PricingPlan


@CrewBase
class ProductBrief():
    """ProductBrief crew: structured outputs and files."""

    agents: List[BaseAgent]
    tasks: List[Task]

    @agent
    def analyst(self) -> Agent:
        return Agent(config=self.agents_config['analyst'], verbose=True)  # type: ignore[index]

    @task
    def competitors_task(self) -> Task:
        return Task(
            config=self.tasks_config['competitors_task'],  # type: ignore[index]
            output_pydantic=CompetitorList,
        )

    @task
    def pricing_task(self) -> Task:
        return Task(
            config=self.tasks_config['pricing_task'],  # type: ignore[index]
            output_json=PricingPlan,
            output_file='output/pricing.json',
        )

    @task
    def brief_task(self) -> Task:
        return Task(config=self.tasks_config['brief_task'])  # type: ignore[index]

    @crew
    def crew(self) -> Crew:
        """Creates the ProductBrief crew"""
        return Crew(
            agents=self.agents,
            tasks=self.tasks,
            process=Process.sequential,
            verbose=True,
        )
