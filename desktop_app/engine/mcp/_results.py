"""A tool call's result as the text the model reads.

Imported only in a connection's thread (it reads the `mcp` SDK's types).
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types


def result_text(result: Any) -> tuple[str, bool]:
    """The result's content as text (text blocks as they are, other blocks described),
    its structured content as JSON when there is no text, and whether it is an error."""
    if not isinstance(result, mcp_types.CallToolResult):
        return f"(the server answered with {type(result).__name__}, not a result)", True
    return _content_text(result)


def _content_text(result: mcp_types.CallToolResult) -> tuple[str, bool]:
    parts: list[str] = []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            parts.append(block.text)
        elif isinstance(block, mcp_types.ImageContent | mcp_types.AudioContent):
            parts.append(f"[{block.type} ({block.mime_type}) not shown]")
        elif isinstance(block, mcp_types.EmbeddedResource):
            inner = block.resource
            text = getattr(inner, "text", None)
            parts.append(text if isinstance(text, str) else f"[resource {inner.uri}]")
        else:
            parts.append(f"[resource {block.uri}]")  # a ResourceLink
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts) or "(the tool returned nothing)", bool(result.is_error)
