#!/usr/bin/env python
from newsroom.crew import Newsroom


def run():
    """
    Run the crew.
    """
    Newsroom().crew().kickoff(inputs={'story': 'the new tram line opening downtown'})


if __name__ == "__main__":
    run()
