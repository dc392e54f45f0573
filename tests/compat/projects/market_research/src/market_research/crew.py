from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task
from crewai.agents.agent_builder.base_agent import BaseAgent
from crewai.tools import tool
from crewai_tools import FileReadTool, ScrapeWebsiteTool, SerperDevTool
from typing import List

from market_research.tools.custom_tool import MarketSizeTool


@tool("Word counter")
def word_count(text: str) -> str:
    """Counts the words in a text. Use it to check the length of a summary."""
    return f"{len(text.split())} words"


@CrewBase
class MarketResearch():
    """MarketResearch crew"""

    agents: List[BaseAgent]
    tasks: List[Task]

    @agent
    def researcher(self) -> Agent:
        return Agent(
            config=self.agents_config['researcher'],  # type: ignore[index]
            tools=[SerperDevTool(n_results=5), ScrapeWebsiteTool()],
            verbose=True,
        )

    @agent
    def analyst(self) -> Agent:
        return Agent(
            config=self.agents_config['analyst'],  # type: ignore[index]
            tools=[FileReadTool(file_path='data/competitors.csv'), MarketSizeTool()],
            verbose=True,
        )

    @task
    def search_task(self) -> Task:
        return Task(config=self.tasks_config['search_task'])  # type: ignore[index]

    @task
    def analysis_task(self) -> Task:
        return Task(config=self.tasks_config['analysis_task'])  # type: ignore[index]

    @task
    def summary_task(self) -> Task:
        # Only the word counter for this task, not the analyst's own tools.
        return Task(config=self.tasks_config['summary_task'], tools=[word_count])  # type: ignore[index]

    @crew
    def crew(self) -> Crew:
        """Creates the MarketResearch crew"""
        return Crew(
            agents=self.agents,
            tasks=self.tasks,
            process=Process.sequential,
            verbose=True,
        )
