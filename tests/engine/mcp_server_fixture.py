"""A real MCP server for the tests, on the `mcp` SDK's MCPServer (FastMCP in SDK 1.x).

`python mcp_server_fixture.py` serves stdio; `python mcp_server_fixture.py --http PORT`
serves streamable HTTP on 127.0.0.1:PORT at /mcp.

Tools: `add` (two integers), `read_text` (a file's text, or the error reading it: what the
sandbox allows), `where` (its home folder: the sandbox's run folder, which marks its
processes), `env_has` (whether a variable is set, never its value: how a key reaches it),
`fetch` (whether an HTTP server answers: the network the sandbox gives).
"""

from __future__ import annotations

import os
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("fixture")


@server.tool()
def add(a: int, b: int) -> str:
    """Adds two integers."""
    return f"sum={a + b}"


@server.tool()
def read_text(path: str) -> str:
    """Reads a text file and returns its content."""
    try:
        with open(path, encoding="utf-8") as file:
            return "content=" + file.read()
    except OSError as exc:
        return f"unreadable={type(exc).__name__}"


@server.tool()
def where() -> str:
    """The server's home folder."""
    return os.environ.get("HOME", "")


@server.tool()
def env_has(name: str) -> str:
    """Whether an environment variable is set (never its value)."""
    return "set" if os.environ.get(name) else "unset"


@server.tool()
def fetch(url: str) -> str:
    """Whether an HTTP server answers at the URL (any status)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5):
            return "reached"
    except urllib.error.HTTPError:
        return "reached"
    except OSError as exc:
        return f"unreachable={type(exc).__name__}"


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
