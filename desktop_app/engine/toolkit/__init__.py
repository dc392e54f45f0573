"""Working equivalents of the most used `crewai_tools` tools, as engine tools.

Same class names, constructor arguments, tool names, descriptions and argument schemas as
crewai-tools 1.15, so a CrewAI project's tools and prompts work unchanged:

    from desktop_app.engine.toolkit import SerperDevTool, CSVSearchTool
    agent = Agent(..., tools=[SerperDevTool(), CSVSearchTool(csv="sales.csv")])

Keys come from `toolkit._keys.key_for` (the environment, then the keychain the app or CLI
installed), asked when a tool runs. Any other `crewai_tools` name is an `ImportError` made by
`unsupported.unsupported_tool_error`, naming the tool and how to replace it. `RagTool` is the
base of the RAG tools, usable alone (`RagTool().add("notes.md")`), as CrewAI's.
"""

from desktop_app.engine.toolkit._rag import RagTool
from desktop_app.engine.toolkit.brave import BraveSearchTool
from desktop_app.engine.toolkit.code import CodeInterpreterTool
from desktop_app.engine.toolkit.exa import EXASearchTool, ExaSearchTool
from desktop_app.engine.toolkit.files import DirectoryReadTool, FileReadTool, FileWriterTool
from desktop_app.engine.toolkit.rag_tools import (
    CSVSearchTool,
    DirectorySearchTool,
    JSONSearchTool,
    MDXSearchTool,
    PDFSearchTool,
    TXTSearchTool,
    WebsiteSearchTool,
)
from desktop_app.engine.toolkit.scrape import ScrapeWebsiteTool
from desktop_app.engine.toolkit.serper import SerperDevTool
from desktop_app.engine.toolkit.tavily import TavilySearchTool

__all__ = [
    "BraveSearchTool",
    "CSVSearchTool",
    "CodeInterpreterTool",
    "DirectoryReadTool",
    "DirectorySearchTool",
    "EXASearchTool",
    "ExaSearchTool",
    "FileReadTool",
    "FileWriterTool",
    "JSONSearchTool",
    "MDXSearchTool",
    "PDFSearchTool",
    "RagTool",
    "ScrapeWebsiteTool",
    "SerperDevTool",
    "TXTSearchTool",
    "TavilySearchTool",
    "WebsiteSearchTool",
]
