#!/usr/bin/env python
import warnings

from content_pipeline.crew import ContentPipeline

warnings.filterwarnings("ignore", category=SyntaxWarning, module="pysbd")


def run():
    """
    Run the crew.
    """
    inputs = {
        'topic': 'solar panels on apartment balconies',
    }
    ContentPipeline().crew().kickoff(inputs=inputs)


if __name__ == "__main__":
    run()
