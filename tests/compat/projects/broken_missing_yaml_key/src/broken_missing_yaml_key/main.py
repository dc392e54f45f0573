#!/usr/bin/env python
from broken_missing_yaml_key.crew import BrokenMissingYamlKey


def run():
    """
    Run the crew.
    """
    BrokenMissingYamlKey().crew().kickoff(inputs={'topic': 'tidal power'})
