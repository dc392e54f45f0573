"""CrewAI projects in and out, under short names: `import_crewai` and `export_crewai`.

The same functions as `import_crewai_project`, `export_crewai_project` and
`export_crewai_project_report` (which returns the knowledge files left out instead of
warning); storage's crew library calls them by these names.
"""

from __future__ import annotations

from desktop_app.documents.crewai_export import export_crewai_project as export_crewai
from desktop_app.documents.crewai_export import (
    export_crewai_project_report as export_crewai_report,
)
from desktop_app.documents.crewai_import import import_crewai_project as import_crewai

__all__ = ["export_crewai", "export_crewai_report", "import_crewai"]
