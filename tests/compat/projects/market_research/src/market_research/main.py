#!/usr/bin/env python
from market_research.crew import MarketResearch


def run():
    """
    Run the crew.
    """
    inputs = {
        'market': 'home battery storage',
    }
    MarketResearch().crew().kickoff(inputs=inputs)


if __name__ == "__main__":
    run()
