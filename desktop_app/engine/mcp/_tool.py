"""An MCP server's tool as an engine `BaseTool`.

The model sees the server's own JSON schema; the arguments are checked against a model
made from it (`_schema`) before the call. Each call asks for approval as kind "mcp" (the
server's name as target, the tool and its JSON arguments as detail). The call goes through
the connection the tool is bound to (an `MCPServerAdapter`'s), else the running run's
connection to its server (`_scope`), else a connection opened for this call alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, model_validator

from desktop_app.engine.approval import ApprovalRequest
from desktop_app.engine.mcp import _listing
from desktop_app.engine.mcp._config import McpError, McpServerSpec, McpToolInfo, tool_function_name
from desktop_app.engine.mcp._connection import McpConnection
from desktop_app.engine.mcp._schema import clean_schema, model_from_schema
from desktop_app.engine.mcp._scope import current_scope
from desktop_app.engine.tools import BaseTool, EmptyArgs


class McpTool(BaseTool):
    """One tool of one MCP server.

    Attributes:
        spec: The server.
        remote_name: The tool's name on the server (`name` is ``<server>_<tool>``).
        input_schema: Its arguments' JSON schema; None until the server was asked (a tool
            named in a crew document is described when its run starts).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)
    is_async_native: ClassVar[bool] = True

    spec: McpServerSpec
    remote_name: str
    input_schema: dict[str, Any] | None = None
    name: str = ""
    description: str = ""
    _connection: McpConnection | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _named(self) -> McpTool:
        if not self.name:
            self.name = tool_function_name(self.spec.name, self.remote_name)
        if self.input_schema is not None:
            self._describe_from(self.description, self.input_schema)
        return self

    @classmethod
    def from_info(cls, spec: McpServerSpec, info: McpToolInfo, **options: Any) -> McpTool:
        """The tool a server listed."""
        return cls(spec=spec, remote_name=info.name, description=info.description,
                   input_schema=dict(info.input_schema), **options)

    def bind(self, connection: McpConnection) -> McpTool:
        """Calls go through `connection` (which its owner closes)."""
        self._connection = connection
        return self

    def describe(self, info: McpToolInfo) -> None:
        """Takes the description and schema the server gave."""
        self.input_schema = dict(info.input_schema)
        self._describe_from(info.description, self.input_schema)

    def _describe_from(self, description: str, schema: dict[str, Any]) -> None:
        self.description = description or self.description or (
            f"The tool '{self.remote_name}' of the MCP server '{self.spec.name}'.")
        self.args_schema = model_from_schema(f"{self.name}Args", schema)

    def ensure_described(self) -> None:
        """Asks the server for the schema when nobody did yet (blocking).

        Raises:
            McpError: The server cannot be asked, or has no such tool.
        """
        if self.input_schema is not None:
            return
        for info in _listing.tools_blocking(self.spec):
            if info.name == self.remote_name:
                self.describe(info)
                return
        raise McpError(f"the MCP server '{self.spec.name}' has no tool named "
                       f"'{self.remote_name}'")

    def openai_schema(self) -> dict[str, Any]:
        """The function the model sees, with the server's own parameters schema."""
        self.ensure_described()
        return {"type": "function", "function": {
            "name": self.function_name(), "description": self.description,
            "parameters": clean_schema(self.input_schema or {}),
        }}

    def parse_arguments(self, arguments: str) -> dict[str, Any]:
        """The model's arguments, checked; only those it gave are sent (no filled defaults)."""
        self.ensure_described()
        try:
            raw = json.loads(arguments or "{}")
        except ValueError as exc:
            raise ValueError(f"arguments are not valid JSON: {exc}") from exc
        if not isinstance(raw, dict):
            raise ValueError("arguments must be a JSON object")
        if self.args_schema is not EmptyArgs:
            try:
                checked: BaseModel = self.args_schema.model_validate(raw)
            except ValidationError as exc:
                raise ValueError(f"arguments do not fit the tool's schema: {exc}") from exc
            return checked.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return raw

    def approval_request(self, arguments: dict[str, Any], workspace: Path) -> ApprovalRequest:
        """Every call of an MCP tool asks (kind "mcp"; the server is the target)."""
        del workspace
        return ApprovalRequest(
            kind="mcp", tool_name=self.name, target=self.spec.name,
            summary=f"Call '{self.remote_name}' on the MCP server '{self.spec.name}'",
            detail=f"{self.remote_name}\n{json.dumps(arguments, indent=2, ensure_ascii=False)}",
        )

    async def _arun(self, **kwargs: Any) -> str:
        connection, own = self._connection_for_call()
        try:
            text, is_error = await connection.call_tool(self.remote_name, kwargs)
        finally:
            if own:
                await connection.aclose()
        if is_error:
            raise McpError(f"the MCP server '{self.spec.name}' answered with an error: {text}")
        return text

    def _run(self, **kwargs: Any) -> str:
        connection, own = self._connection_for_call()
        try:
            text, is_error = connection.call_tool_blocking(self.remote_name, kwargs)
        finally:
            if own:
                connection.close()
        if is_error:
            raise McpError(f"the MCP server '{self.spec.name}' answered with an error: {text}")
        return text

    def _connection_for_call(self) -> tuple[McpConnection, bool]:
        """The connection to use, and whether this call owns it (and closes it)."""
        if self._connection is not None:
            return self._connection, False
        scope = current_scope()
        if scope is not None:
            return scope.connection(self.spec), False
        connection = McpConnection(self.spec)
        connection.start()
        return connection, True
