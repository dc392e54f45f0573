#!/usr/bin/env python
from daily_digest.crew import DailyDigest


def run():
    """
    Run the crew.
    """
    result = DailyDigest().crew().kickoff(inputs={'topic': 'open source AI'})
    print(result.raw)


if __name__ == "__main__":
    run()
