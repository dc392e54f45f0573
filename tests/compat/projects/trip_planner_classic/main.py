#!/usr/bin/env python
from crew import TripPlannerCrew


def run():
    # Replace with your inputs, it will automatically interpolate any tasks and agents information
    inputs = {
        'city': 'Lisbon',
        'days': '3',
    }
    TripPlannerCrew().crew().kickoff(inputs=inputs)


if __name__ == "__main__":
    run()
