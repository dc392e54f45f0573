#!/usr/bin/env python
from broken_unknown_tool.crew import BrokenUnknownTool


def run():
    """
    Run the crew.
    """
    BrokenUnknownTool().crew().kickoff(inputs={'topic': 'tidal power'})
