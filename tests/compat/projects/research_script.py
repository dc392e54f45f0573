import os

from crewai import Agent, Task, Crew, Process
from crewai.tools import tool

os.environ.setdefault("OPENAI_MODEL_NAME", "gpt-4o-mini")


@tool("Reading time")
def reading_time(text: str) -> str:
    """Estimates how many minutes it takes to read a text."""
    return f"{max(1, len(text.split()) // 200)} minutes"


researcher = Agent(
    role="Senior Research Analyst",
    goal="Uncover the most useful facts about {topic}",
    backstory="You work at a think tank and are known for short, sharp briefings.",
    verbose=True,
    allow_delegation=False,
)

writer = Agent(
    role="Tech Content Strategist",
    goal="Write a compelling short article about {topic}",
    backstory="You turn dense research into articles anyone can read in five minutes.",
    tools=[reading_time],
    verbose=True,
)

research = Task(
    description="Research the latest developments in {topic} and list the key points.",
    expected_output="A bullet list of five key points about {topic}.",
    agent=researcher,
)

write = Task(
    description="Using the research, write a short article about {topic} and give its reading time.",
    expected_output="An article of three paragraphs, then its reading time.",
    agent=writer,
)

crew = Crew(
    agents=[researcher, writer],
    tasks=[research, write],
    process=Process.sequential,
    verbose=True,
)

result = crew.kickoff(inputs={"topic": "heat pumps"})

print("######################")
print(result)
