#!/usr/bin/env python
from broken_missing_key.crew import BrokenMissingKey


def run():
    """
    Run the crew.
    """
    BrokenMissingKey().crew().kickoff(inputs={'topic': 'tidal power'})
