#!/usr/bin/env python
from broken_syntax.crew import BrokenSyntax


def run():
    """
    Run the crew.
    """
    BrokenSyntax().crew().kickoff(inputs={'topic': 'tidal power'})
