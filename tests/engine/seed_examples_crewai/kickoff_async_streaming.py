import asyncio
from crewai import Crew, Agent, Task

# Create an agent with code execution enabled
coding_agent = Agent(
    role="Python Data Analyst",
    goal="Analyze data and provide insights using Python",
    backstory="You are an experienced data analyst with strong Python skills.",
    allow_code_execution=True
)

data_analysis_task = Task(
    description="Analyze the given dataset and calculate the average age of participants. Ages: {ages}",
    agent=coding_agent,
    expected_output="The average age of the participants."
)

crew = Crew(
    agents=[coding_agent],
    tasks=[data_analysis_task],
    stream=True
)

async def main():
    streaming = await crew.kickoff_async(inputs={"ages": [25, 30, 35, 40, 45]})

    async for chunk in streaming:
        print(chunk.content, end="", flush=True)

    result = streaming.result
    print(f"\n\nFinal output: {result.raw}")

asyncio.run(main())
