#!/usr/bin/env python
from product_brief.crew import ProductBrief


def run():
    """
    Run the crew.
    """
    inputs = {'product': 'a note-taking app for nurses'}
    result = ProductBrief().crew().kickoff(inputs=inputs)
    competitors = result.tasks_output[0].pydantic
    print(f"Competitors found: {len(competitors.competitors)}")


if __name__ == "__main__":
    run()
