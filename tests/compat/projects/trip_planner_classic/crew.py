from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task

from tools import calculate


@CrewBase
class TripPlannerCrew():
	"""TripPlanner crew"""
	agents_config = 'config/agents.yaml'
	tasks_config = 'config/tasks.yaml'

	@agent
	def city_expert(self) -> Agent:
		return Agent(
			config=self.agents_config['city_expert'],
			verbose=True
		)

	@agent
	def travel_concierge(self) -> Agent:
		return Agent(
			config=self.agents_config['travel_concierge'],
			tools=[calculate],
			verbose=True
		)

	@task
	def gather_task(self) -> Task:
		return Task(
			config=self.tasks_config['gather_task'],
		)

	@task
	def plan_task(self) -> Task:
		return Task(
			config=self.tasks_config['plan_task'],
		)

	@crew
	def crew(self) -> Crew:
		"""Creates the TripPlanner crew"""
		return Crew(
			agents=self.agents, # Automatically created by the @agent decorator
			tasks=self.tasks, # Automatically created by the @task decorator
			process=Process.sequential,
			verbose=True,
		)
