"""Knowledge for agents and crews, as CrewAI's `crewai.knowledge`.

    from desktop_app.engine.knowledge import StringKnowledgeSource, TextFileKnowledgeSource

    policy = StringKnowledgeSource(content="Refunds are accepted within 30 days.")
    agent = Agent(role="Support", goal="Help", backstory="Kind.", knowledge_sources=[policy])
    crew = Crew(agents=[agent], tasks=[...], knowledge_sources=[TextFileKnowledgeSource(
        file_paths=["faq.txt"], chunk_size=800, chunk_overlap=100)])

Sources are cut into overlapping chunks and indexed once into the crew's knowledge store
(SQLite FTS5, BM25; plus vectors when the crew has an `embedder`), re-indexed when a file
changes. Before each task, the chunks most relevant to its description (from the crew's
sources and its agent's) go into the agent's prompt.
"""

from desktop_app.engine.knowledge._chunking import chunk_text
from desktop_app.engine.knowledge._config import KnowledgeConfig
from desktop_app.engine.knowledge._sources import (
    BaseFileKnowledgeSource,
    BaseKnowledgeSource,
    CSVKnowledgeSource,
    JSONKnowledgeSource,
    MarkdownKnowledgeSource,
    PDFKnowledgeSource,
    StringKnowledgeSource,
    TextFileKnowledgeSource,
)

__all__ = [
    "BaseFileKnowledgeSource",
    "BaseKnowledgeSource",
    "CSVKnowledgeSource",
    "JSONKnowledgeSource",
    "KnowledgeConfig",
    "MarkdownKnowledgeSource",
    "PDFKnowledgeSource",
    "StringKnowledgeSource",
    "TextFileKnowledgeSource",
    "chunk_text",
]
