"""Crew documents: CrewDesk's crew files, CrewAI project import and export, engine building.

A `CrewDocument` (agents, tasks, settings, input sets; no secrets) is what the designer edits,
what a ``.crew.yaml`` file holds and what `build_crew` turns into an engine `Crew`. Files and
projects either load whole or raise a `CrewFileError` whose problems name the file, line and
field. This package imports no Qt and no keyring.

Typical use::

    loaded = open_crew("examples/research_writer.crew.yaml")   # or a CrewAI project folder
    loaded.check_inputs({"topic": "solar power"})
    crew = build_crew(loaded.document, stream=True)
"""

from desktop_app.documents._knowledge import (
    FILE_KINDS,
    allow_new_knowledge_files,
    kind_of_file,
    rebase_knowledge,
)
from desktop_app.documents.build import (
    KeyResolver,
    LlmFactory,
    ToolFactory,
    build_crew,
    default_llm,
    override_llm,
)
from desktop_app.documents.crewai_export import (
    ExportReport,
    KnowledgeNotCopiedWarning,
    NotCopied,
    export_crewai_project,
    export_crewai_project_report,
    knowledge_left_out,
)
from desktop_app.documents.crewai_import import (
    find_crewai_layout,
    import_crewai_project,
    open_crew,
)
from desktop_app.documents.crewdesk_file import (
    CREW_FILE_SUFFIX,
    dumps_crew,
    load_crew,
    open_crew_file,
    save_crew,
)
from desktop_app.documents.errors import CrewFileError, CrewProblem, ImportNotice
from desktop_app.documents.loaded import LoadedCrew
from desktop_app.documents.migrations import MIGRATIONS, SchemaVersionError, migrate
from desktop_app.documents.model import (
    CURRENT_SCHEMA_VERSION,
    PLACEHOLDER_RE,
    AgentSpec,
    BudgetSpec,
    CrewDocument,
    CrewSettings,
    DocumentIssue,
    InputSet,
    KnowledgeKind,
    KnowledgeSourceSpec,
    TaskSpec,
)

__all__ = [
    "CREW_FILE_SUFFIX",
    "CURRENT_SCHEMA_VERSION",
    "FILE_KINDS",
    "MIGRATIONS",
    "PLACEHOLDER_RE",
    "AgentSpec",
    "BudgetSpec",
    "CrewDocument",
    "CrewFileError",
    "CrewProblem",
    "CrewSettings",
    "DocumentIssue",
    "ExportReport",
    "ImportNotice",
    "InputSet",
    "KnowledgeKind",
    "KnowledgeNotCopiedWarning",
    "KnowledgeSourceSpec",
    "KeyResolver",
    "LlmFactory",
    "LoadedCrew",
    "NotCopied",
    "SchemaVersionError",
    "TaskSpec",
    "ToolFactory",
    "allow_new_knowledge_files",
    "build_crew",
    "default_llm",
    "dumps_crew",
    "export_crewai_project",
    "export_crewai_project_report",
    "find_crewai_layout",
    "import_crewai_project",
    "kind_of_file",
    "knowledge_left_out",
    "load_crew",
    "migrate",
    "open_crew",
    "open_crew_file",
    "override_llm",
    "rebase_knowledge",
    "save_crew",
]
