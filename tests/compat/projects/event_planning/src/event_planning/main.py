#!/usr/bin/env python
from event_planning.crew import EventPlanning


def run():
    """
    Run the crew.
    """
    EventPlanning().crew().kickoff(inputs={'city': 'Rotterdam', 'attendees': '80'})


if __name__ == "__main__":
    run()
