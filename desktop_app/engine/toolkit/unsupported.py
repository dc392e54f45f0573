"""The error for a `crewai_tools` name CrewDesk has no equivalent of.

The compat layer builds the `crewai_tools` module from this package; its module
`__getattr__` raises `unsupported_tool_error(name)` for any other name, so a project that
imports such a tool stops at that import with a message naming the tool and saying how to
replace it, never with a tool silently missing from an agent.
"""

from __future__ import annotations

__all__ = ["CREWAI_TOOLS_NAMES", "UNSUPPORTED_HINT", "unsupported_tool_error"]

UNSUPPORTED_HINT = (
    "Replace it with a function decorated with `@tool` (from crewai.tools import tool; its "
    "docstring is what the model reads) or a `BaseTool` subclass with `_run`, doing the same "
    "work; see docs/COMPATIBILITY.md (crewai_tools) for the tools CrewDesk provides."
)
"""How to replace a tool CrewDesk does not provide."""

CREWAI_TOOLS_NAMES = frozenset(
    """
    AIMindTool ApifyActorsTool ArxivPaperTool AzureDocumentDBToolSchema
    AzureDocumentDBVectorSearchConfig AzureDocumentDBVectorSearchTool BedrockInvokeAgentTool
    BedrockKBRetrieverTool BraveImageSearchTool BraveLLMContextTool
    BraveLocalPOIsDescriptionTool BraveLocalPOIsTool BraveNewsSearchTool BraveSearchTool
    BraveVideoSearchTool BraveWebSearchTool BrightDataDatasetTool BrightDataSearchTool
    BrightDataWebUnlockerTool BrowserbaseLoadTool CSVSearchTool CodeDocsSearchTool
    CodeInterpreterTool ComposioTool ContextualAICreateAgentTool ContextualAIParseTool
    ContextualAIQueryTool ContextualAIRerankTool CouchbaseFTSVectorSearchTool
    CrewaiPlatformTools DB2ToolSchema DB2VectorSearchTool DOCXSearchTool DallETool
    DatabricksQueryTool DaytonaExecTool DaytonaFileTool DaytonaPythonTool DirectoryReadTool
    DirectorySearchTool E2BExecTool E2BFileTool E2BPythonTool EXASearchTool
    EnterpriseActionTool ExaSearchTool FileCompressorTool FileReadTool FileWriterTool
    FirecrawlCrawlWebsiteTool FirecrawlScrapeWebsiteTool FirecrawlSearchTool
    GenerateCrewaiAutomationTool GithubSearchTool HyperbrowserLoadTool
    InvokeCrewAIAutomationTool JSONSearchTool JinaScrapeWebsiteTool LinkupSearchTool
    LlamaIndexTool MCPServerAdapter MDXSearchTool MergeAgentHandlerTool
    MongoDBVectorSearchConfig MongoDBVectorSearchTool MultiOnTool MySQLSearchTool NL2SQLTool
    OCRTool OracleToolSchema OracleVectorSearchConfig OracleVectorSearchQueryConfig
    OracleVectorSearchTool OxylabsAmazonProductScraperTool OxylabsAmazonSearchScraperTool
    OxylabsGoogleSearchScraperTool OxylabsUniversalScraperTool PDFSearchTool
    ParallelSearchTool PatronusEvalTool PatronusLocalEvaluatorTool
    PatronusPredefinedCriteriaEvalTool QdrantVectorSearchTool RagTool S3ReaderTool
    S3WriterTool ScrapeElementFromWebsiteTool ScrapeWebsiteTool ScrapegraphScrapeTool
    ScrapegraphScrapeToolSchema ScrapflyScrapeWebsiteTool SeleniumScrapingTool
    SerpApiGoogleSearchTool SerpApiGoogleShoppingTool SerperDevTool SerperScrapeWebsiteTool
    SerplyJobSearchTool SerplyNewsSearchTool SerplyScholarSearchTool SerplyWebSearchTool
    SerplyWebpageToMarkdownTool SingleStoreSearchTool SnowflakeConfig SnowflakeSearchTool
    SpiderTool StagehandTool TXTSearchTool TavilyExtractorTool TavilyGetResearchTool
    TavilyResearchTool TavilySearchTool URLReadTool VisionTool WaitTool
    WeaviateVectorSearchTool WebsiteSearchTool XMLSearchTool YoutubeChannelSearchTool
    YoutubeVideoSearchTool ZapierActionTool ZapierActionTools
    """.split()  # noqa: SIM905 - a block of names reads better than 120 quoted strings
)
"""The names `crewai_tools` 1.15.30 exports (plus `CodeInterpreterTool`, which older
releases had), to tell a tool CrewDesk lacks from a name that is not a tool at all."""


def unsupported_tool_error(name: str) -> ImportError:
    """The error for `from crewai_tools import <name>` when CrewDesk has no such tool.

    Args:
        name: The name the project imported.

    Returns:
        An `ImportError` (with `name` set to "crewai_tools") whose message names the tool
        and how to replace it; the caller raises it.
    """
    if name in CREWAI_TOOLS_NAMES:
        message = f"CrewDesk has no equivalent of the crewai_tools tool '{name}'. "
    else:
        message = f"crewai_tools has no tool named '{name}' (CrewAI 1.15 has none either). "
    return ImportError(message + UNSUPPORTED_HINT, name="crewai_tools")
