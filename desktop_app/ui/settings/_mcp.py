"""`McpServersPage`: Settings › MCP servers: add, edit, remove and test MCP servers.

A server is a local command (stdio; it runs inside the OS sandbox, without the network
unless "May use the network" is ticked) or a streamable HTTP URL. Its key, if it needs
one, goes to the keychain under ``mcp:<name>`` (at once, in a worker thread) and reaches
the server as the environment variable or HTTP header named in "Key goes in". "Test"
starts or reaches the server off the GUI thread and lists its tools. The list edits the
dialog's `Settings`; the dialog's Save writes them.
"""

from __future__ import annotations

import shlex

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.engine.mcp import McpToolInfo, list_server_tools
from desktop_app.storage.mcp_servers import server_spec
from desktop_app.storage.secrets import SecretStore, SecretStoreError
from desktop_app.storage.settings import McpServer, Settings
from desktop_app.ui.widgets.fields import named
from desktop_app.ui.widgets.tasks import TaskOwner

__all__ = ["McpServersPage"]


class McpServersPage(QWidget):
    """The list of servers and a form for the chosen one."""

    def __init__(self, secrets: SecretStore, tasks: TaskOwner, parent: QWidget | None = None) -> None:
        """Builds the page; `show_servers` fills it.

        Args:
            secrets: The app's secret store (keys under ``mcp:<name>``).
            tasks: Owns the keychain and test tasks (the dialog's).
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._secrets = secrets
        self._tasks = tasks
        self._settings = Settings()
        self.server_list = named(QListWidget(), "mcpServerList")
        self.server_list.currentRowChanged.connect(self._on_server_list_current_row_changed)
        self.name_edit = named(QLineEdit(), "mcpName")
        self.transport_box = named(QComboBox(), "mcpTransport")
        self.transport_box.addItem("Local command (stdio, sandboxed)", "stdio")
        self.transport_box.addItem("HTTP URL (streamable HTTP)", "http")
        self.command_edit = named(QLineEdit(), "mcpCommand")
        self.command_edit.setPlaceholderText("npx -y @modelcontextprotocol/server-everything")
        self.url_edit = named(QLineEdit(), "mcpUrl")
        self.url_edit.setPlaceholderText("https://example.com/mcp")
        self.key_name_edit = named(QLineEdit(), "mcpKeyName")
        self.key_name_edit.setPlaceholderText("GITHUB_TOKEN, or Authorization")
        self.key_edit = named(QLineEdit(), "mcpKey")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.network_box = named(QCheckBox("May use the network (stdio)"), "mcpNetwork")
        self.result_label = named(QLabel(), "mcpResult")
        self.result_label.setWordWrap(True)
        self.tool_list = named(QListWidget(), "mcpTools")
        self._layout()

    def _layout(self) -> None:
        buttons = QHBoxLayout()
        for text, name, slot in (
            ("Add", "addMcpServer", self._on_add_clicked),
            ("Remove", "removeMcpServer", self._on_remove_clicked),
            ("Apply", "applyMcpServer", lambda: self._tasks.spawn(self.apply())),
            ("Test", "testMcpServer", lambda: self._tasks.spawn(self.test())),
        ):
            button = named(QPushButton(text), name)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Kind", self.transport_box)
        form.addRow("Command", self.command_edit)
        form.addRow("URL", self.url_edit)
        form.addRow("Key goes in", self.key_name_edit)
        form.addRow("Key", self.key_edit)
        form.addRow("", self.network_box)
        column = QVBoxLayout(self)
        column.addWidget(QLabel("MCP servers whose tools crews may use (mcp:<server>/<tool>)."))
        row = QHBoxLayout()
        row.addWidget(self.server_list, 1)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addLayout(buttons)
        right.addWidget(self.result_label)
        right.addWidget(self.tool_list, 1)
        row.addLayout(right, 2)
        column.addLayout(row, 1)

    # -- showing -----------------------------------------------------------------------

    def show_servers(self, settings: Settings, row: int = 0) -> None:
        """Shows `settings`' servers (the page edits that object's list)."""
        self._settings = settings
        blocked = self.server_list.blockSignals(True)
        self.server_list.clear()
        for server in settings.mcp_servers:
            self.server_list.addItem(server.name)
        self.server_list.blockSignals(blocked)
        self.server_list.setCurrentRow(min(row, len(settings.mcp_servers) - 1))
        if not settings.mcp_servers:
            self._show(None)

    def _on_server_list_current_row_changed(self, row: int) -> None:
        servers = self._settings.mcp_servers
        self._show(servers[row] if 0 <= row < len(servers) else None)

    def _show(self, server: McpServer | None) -> None:
        shown = server or McpServer(name="new-server")
        self.name_edit.setText(shown.name if server else "")
        self.transport_box.setCurrentIndex(max(0, self.transport_box.findData(shown.transport)))
        self.command_edit.setText(shlex.join(shown.command))
        self.url_edit.setText(shown.url)
        self.key_name_edit.setText(shown.key_name or "")
        self.key_edit.clear()
        self.network_box.setChecked(shown.network)
        self.tool_list.clear()
        self.result_label.clear()

    def current(self) -> McpServer | None:
        """The server chosen in the list (as saved in the settings being edited)."""
        row, servers = self.server_list.currentRow(), self._settings.mcp_servers
        return servers[row] if 0 <= row < len(servers) else None

    # -- editing -----------------------------------------------------------------------

    def form_server(self) -> McpServer:
        """The server as the form describes it.

        Raises:
            ValueError: A field is wrong; the message says which and why.
        """
        try:
            command = shlex.split(self.command_edit.text())
        except ValueError as exc:
            raise ValueError(f"the command cannot be read: {exc}") from exc
        try:
            server = McpServer(
                name=self.name_edit.text(), transport=self.transport_box.currentData(),
                command=command, url=self.url_edit.text(),
                key_name=self.key_name_edit.text().strip() or None,
                network=self.network_box.isChecked(),
            )
            server.spec()  # checks the command or URL
        except ValidationError as exc:
            raise ValueError(_first_error(exc)) from exc
        return server

    def _on_add_clicked(self) -> None:
        taken = {server.name for server in self._settings.mcp_servers}
        name = next(f"server-{n}" for n in range(1, 1000) if f"server-{n}" not in taken)
        self._settings.mcp_servers = [*self._settings.mcp_servers,
                                      McpServer(name=name, command=["my-mcp-server"])]
        self.show_servers(self._settings, len(self._settings.mcp_servers) - 1)
        self.result_label.setText(f"Added {name}: give its command or URL, then Apply.")

    def _on_remove_clicked(self) -> None:
        removed = self.current()
        if removed is None:
            return
        self._settings.mcp_servers = [s for s in self._settings.mcp_servers if s is not removed]
        self.show_servers(self._settings, max(0, self.server_list.currentRow() - 1))
        self._tasks.spawn(self._forget_key(removed.keychain_name))

    async def _forget_key(self, name: str) -> None:
        try:
            await self._secrets.adelete(name)
        except SecretStoreError as exc:
            self.result_label.setText(f"The key {name} was not removed: {exc}")

    async def apply(self) -> McpServer | None:
        """Puts the form into the chosen server (a typed key into the keychain).

        Returns:
            The server as applied, or None when the form is wrong (the page says why).
        """
        old = self.current()
        try:
            server = self.form_server()
            others = [s for s in self._settings.mcp_servers if s is not old]
            if any(s.name == server.name for s in others):
                raise ValueError(f"there is already a server named '{server.name}'")
        except ValueError as exc:
            self.result_label.setText(f"Not applied: {exc}")
            return None
        if not await self._keep_key(old, server):
            return None
        row = self.server_list.currentRow()
        servers = list(self._settings.mcp_servers)
        if old is None:
            servers.append(server)
            row = len(servers) - 1
        else:
            servers[row] = server
        self._settings.mcp_servers = servers
        self.show_servers(self._settings, row)
        self.result_label.setText(f"Applied {server.name}; Save keeps it.")
        return server

    async def _keep_key(self, old: McpServer | None, server: McpServer) -> bool:
        """Stores a typed key under the server's name, or moves the key of a renamed one."""
        typed = self.key_edit.text().strip()
        try:
            if typed:
                await self._secrets.aset(server.keychain_name, typed)
            elif old is not None and old.name != server.name:
                kept = await self._secrets.aget(old.keychain_name)
                if kept:
                    await self._secrets.aset(server.keychain_name, kept)
                    await self._secrets.adelete(old.keychain_name)
        except (SecretStoreError, ValueError) as exc:
            self.result_label.setText(f"The key was not stored: {exc}")
            return False
        self.key_edit.clear()
        return True

    # -- testing -----------------------------------------------------------------------

    async def test(self) -> list[McpToolInfo] | None:
        """Starts or reaches the server as the form describes it (off the GUI thread) and
        lists its tools; shows them, or the error.

        Returns:
            The tools, or None when it failed.
        """
        self.tool_list.clear()
        try:
            server = self.form_server()
        except ValueError as exc:
            self.result_label.setText(f"Cannot test: {exc}")
            return None
        self.result_label.setText(f"Testing {server.name}…")
        typed = self.key_edit.text().strip() or None
        try:
            spec = server.spec(typed) if typed else await server_spec(server, self._secrets)
            tools = await list_server_tools(spec)
        except (ValueError, RuntimeError) as exc:
            self.result_label.setText(f"Failed: {exc}")
            return None
        for tool in tools:
            self.tool_list.addItem(f"{tool.name}: {tool.description.splitlines()[0] if tool.description else ''}")
        self.result_label.setText(f"{server.name} offers {len(tools)} tool(s).")
        return tools


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or "value"
    return f"{where}: {error.get('msg', 'is not valid')}"
