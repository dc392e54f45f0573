from datetime import date
from pathlib import Path

from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, after_kickoff, agent, before_kickoff, crew, task
from crewai.agents.agent_builder.base_agent import BaseAgent
from crewai.tasks.task_output import TaskOutput
from typing import List

LOG = Path("digest.log")


def log(line: str) -> None:
    with LOG.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


def task_done(output: TaskOutput) -> None:
    log(f"task callback: {output.name} by {output.agent.strip()}")


def step_done(step) -> None:
    log("step")


def crew_task_done(output: TaskOutput) -> None:
    log(f"crew task callback: {output.name}")


@CrewBase
class DailyDigest():
    """DailyDigest crew: kickoff hooks and callbacks."""

    agents: List[BaseAgent]
    tasks: List[Task]

    @before_kickoff
    def add_date(self, inputs):
        inputs = dict(inputs or {})
        inputs.setdefault("date", date(2026, 1, 15).isoformat())
        log(f"before kickoff: {sorted(inputs)}")
        return inputs

    @after_kickoff
    def sign(self, result):
        log(f"after kickoff: {len(result.tasks_output)} tasks")
        result.raw = result.raw + "\n\n-- your daily digest"
        return result

    @agent
    def curator(self) -> Agent:
        return Agent(config=self.agents_config['curator'], verbose=True)  # type: ignore[index]

    @task
    def pick_task(self) -> Task:
        return Task(config=self.tasks_config['pick_task'], callback=task_done)  # type: ignore[index]

    @task
    def digest_task(self) -> Task:
        return Task(config=self.tasks_config['digest_task'], callback=task_done)  # type: ignore[index]

    @crew
    def crew(self) -> Crew:
        """Creates the DailyDigest crew"""
        return Crew(
            agents=self.agents,
            tasks=self.tasks,
            process=Process.sequential,
            step_callback=step_done,
            task_callback=crew_task_done,
            verbose=True,
        )
