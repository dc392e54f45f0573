"""`crewai.utilities.events`: the old path of `crewai.events` (CrewAI before 0.150)."""

from desktop_app.compat.crewai.events import *  # noqa: F403
from desktop_app.compat.crewai.events import __all__ as _names
from desktop_app.compat.crewai.events import __getattr__ as __getattr__

__all__ = list(_names)
