"""CrewAI projects in and out, under short names: `import_crewai` and `export_crewai`.

The same functions as `import_crewai_project` and `export_crewai_project`; storage's crew
library calls them by these names.
"""

from __future__ import annotations

from desktop_app.documents.crewai_export import export_crewai_project as export_crewai
from desktop_app.documents.crewai_import import import_crewai_project as import_crewai

__all__ = ["export_crewai", "import_crewai"]
