"""`ToolPicker`: the agent form's tools: every tool on offer, searchable, with what each needs.

The picker lists the catalog (`desktop_app.documents.tool_catalog`): built-in tools, the
CrewAI tool equivalents, the MCP servers' tools and the crew's own ``@tool`` functions, grouped
by source. Each row shows the tool's title and name, and under them tags for what it needs
(its key variable, network, files, code). A box above filters the rows as one types (name,
title or description). Ticking a row adds the tool to the agent; names the agent has that
the catalog does not know stay listed, ticked, under "Not found", so nothing is dropped
silently.

The picker never changes the document itself: it emits `toolsEdited` with the new list and the
form sends it to the `CrewEditor` (one undo step per burst, as every field). Listing the
catalog reads the crew's tool files, so it runs in a worker thread. "New Python tool…" asks a
name, writes ``tools/<name>.py`` from a template into the crew's folder (never over an existing
file) and ticks the new tool; it runs only once the folder is trusted ("Trust this folder").
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.documents._project_tools import new_tool_file
from desktop_app.documents.tool_catalog import SOURCE_TITLES, Catalog, ToolEntry, load_catalog
from desktop_app.ui.designer._tool_host import FixedToolHost, ToolContext, ToolHost
from desktop_app.ui.widgets.ask import finished
from desktop_app.ui.widgets.tasks import TaskOwner

__all__ = ["NOT_FOUND_TITLE", "ToolPicker", "tags_of"]

NOT_FOUND_TITLE = "Not found"
"""The group of the agent's tool names the catalog does not know."""

_NAME_ROLE = Qt.ItemDataRole.UserRole
_TAGS_ROLE = Qt.ItemDataRole.UserRole + 1


def tags_of(entry: ToolEntry) -> list[str]:
    """The small tags of a row: what the tool needs before it works."""
    tags = [f"key {entry.needs_key}"] if entry.needs_key else []
    tags += [tag for tag, on in (("network", entry.needs_network), ("files", entry.needs_files),
                                 ("runs code", entry.runs_code),
                                 ("off by default", entry.off_by_default)) if on]
    return tags


class ToolPicker(QWidget):
    """Picks an agent's tools from the catalog.

    Attributes:
        search_edit: Filters the rows as one types.
        tree: One group per source, one checkable row per tool (title, then its tags).
        new_button: "New Python tool…".
        trust_button: "Trust this folder", shown while the crew's own tools cannot run.
        message_label: What went wrong or what to do next (warnings, the file written).

    Signals:
        toolsEdited(object): The user changed the agent's tools (the new list of names).
    """

    toolsEdited = Signal(object)

    def __init__(self, tasks: TaskOwner, parent: QWidget | None = None) -> None:
        """Builds the picker; `set_host` and `show_tools` fill it.

        Args:
            tasks: Owns the picker's tasks (catalog loads, dialogs).
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._tasks = tasks
        self.host: ToolHost = FixedToolHost()
        self._names: list[str] = []
        self._catalog: Catalog | None = None
        self._context = ToolContext()
        self._loaded_for: ToolContext | None = None
        self._loading: asyncio.Task[object] | None = None  # the load show_tools started
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("agents_tool_search")
        self.search_edit.setPlaceholderText("Search tools (name, title or description)")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._on_search_edit_text_changed)
        self.tree = QTreeWidget()
        self.tree.setObjectName("agents_tool_tree")
        self.tree.setColumnCount(1)
        self.tree.setHeaderHidden(True)
        self.tree.setMinimumHeight(200)
        self.tree.setIndentation(12)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.itemChanged.connect(self._on_tree_item_changed)
        self._buttons()
        self.message_label = QLabel()
        self.message_label.setObjectName("agents_tools_message")
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        self._layout()
        self._render()

    def _buttons(self) -> None:
        self.new_button = self._button("New Python tool…", "agents_new_python_tool")
        self.new_button.clicked.connect(lambda: self._tasks.spawn(self.new_tool()))
        self.trust_button = self._button("Trust this folder", "agents_trust_tools")
        self.trust_button.clicked.connect(lambda: self._tasks.spawn(self.trust()))
        self.trust_button.hide()
        self.reload_button = self._button("Refresh list", "agents_reload_tools")
        self.reload_button.setToolTip("List the tools again (after editing tool files or MCP "
                                      "servers)")
        self.reload_button.clicked.connect(
            lambda: self._tasks.spawn(self.refresh(force=True, fresh=True)))

    def _button(self, text: str, name: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        return button

    def _layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.trust_button)
        buttons.addWidget(self.reload_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.search_edit)
        column.addWidget(self.tree)
        column.addLayout(buttons)
        column.addWidget(self.message_label)

    # -- state -------------------------------------------------------------------------

    def names(self) -> list[str]:
        """The agent's tools as shown (the document's list)."""
        return list(self._names)

    @property
    def catalog(self) -> Catalog | None:
        """The catalog shown; None until the first load ends."""
        return self._catalog

    def set_host(self, host: ToolHost) -> None:
        """Uses ``host`` for the crew's folder, its trust and the MCP tools."""
        self.host = host
        self._loaded_for = None

    def show_tools(self, names: Sequence[str]) -> None:
        """Shows the agent's tools (the document's) ticked, and reloads the catalog when the
        crew's folder may have changed."""
        if list(names) != self._names:
            self._names = list(names)
            rows = self.rows()
            if all(name in rows for name in self._names):
                self._sync_checks(rows)
            else:
                self._render()
        stale = self._catalog is None or self.host.folder() != self._context.folder
        if stale and (self._loading is None or self._loading.done()):
            self._loading = self._tasks.spawn(self.refresh())

    async def refresh(self, *, force: bool = False, fresh: bool = False) -> None:
        """Reads the host's context and, when it changed (or ``force``), the catalog (in a
        worker thread); ``fresh`` asks the MCP servers for their tools again."""
        context = await self.host.context(fresh=fresh)
        if force or context != self._loaded_for or self._catalog is None:
            found = await asyncio.to_thread(
                load_catalog, mcp_tools=context.mcp_tools, project_dir=context.folder)
            self._catalog, self._context, self._loaded_for = found, context, context
            self._render()

    # -- showing -----------------------------------------------------------------------

    def _render(self) -> None:
        """Fills the tree from the catalog and the agent's names, keeping the filter."""
        blocked = self.tree.blockSignals(True)
        try:
            self.tree.clear()
            entries = self._catalog.entries if self._catalog is not None else ()
            for source, title in SOURCE_TITLES.items():
                self._group(title, [entry for entry in entries if entry.source == source])
            known = {entry.name for entry in entries}
            unknown = [name for name in self._names if name not in known]
            if unknown and self._catalog is not None:
                self._group(NOT_FOUND_TITLE, [_unknown_entry(name) for name in unknown],
                            "not found")
            self.tree.expandAll()
        finally:
            self.tree.blockSignals(blocked)
        self._filter(self.search_edit.text())
        self._show_state()

    def _group(self, title: str, entries: Sequence[ToolEntry], tag: str = "") -> None:
        if not entries:
            return
        group = QTreeWidgetItem(self.tree, [title])
        font = QFont(group.font(0))
        font.setBold(True)
        group.setFont(0, font)
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)
        for entry in entries:
            text = entry.title if entry.title == entry.name else f"{entry.title}  ({entry.name})"
            tags = "  ".join(f"[{t}]" for t in [*tags_of(entry), *([tag] if tag else [])])
            # The tags go on a second line, so that a narrow form still shows them whole.
            item = QTreeWidgetItem(group, [f"{text}\n    {tags}" if tags else text])
            item.setData(0, _NAME_ROLE, entry.name)
            item.setData(0, _TAGS_ROLE, tags)
            item.setToolTip(0, "\n".join(filter(None, [entry.description, entry.note])))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            ticked = entry.name in self._names
            item.setCheckState(0, Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)

    def _sync_checks(self, rows: dict[str, QTreeWidgetItem]) -> None:
        """Ticks the rows of the agent's tools and unticks the others, in place (an unticked
        name the catalog lacks stays listed until the next load, so it can be ticked back)."""
        blocked = self.tree.blockSignals(True)
        try:
            for name, item in rows.items():
                ticked = name in self._names
                item.setCheckState(0, Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        finally:
            self.tree.blockSignals(blocked)

    def _show_state(self) -> None:
        """The trust button and the message line (catalog warnings, loading)."""
        context, found = self._context, self._catalog
        own = found is not None and any(entry.source == "project" for entry in found.entries)
        self.trust_button.setVisible(context.folder is not None and not context.trusted and own)
        lines = [*found.warnings, *context.warnings] if found is not None else [
            "Loading the tools…"]
        if self.trust_button.isVisible():
            lines.append(f"This crew's Python tools run only once you trust {context.folder}.")
        self._say("\n".join(lines))

    def _say(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def rows(self) -> dict[str, QTreeWidgetItem]:
        """The tool rows by tool name (hidden ones too)."""
        return {str(item.data(0, _NAME_ROLE)): item
                for _group, items in _groups(self.tree) for item in items}

    def tags_shown(self, name: str) -> str:
        """The tags line of the row of tool ``name`` ("[key SERPER_API_KEY]  [network]")."""
        return str(self.rows()[name].data(0, _TAGS_ROLE))

    def visible_names(self) -> list[str]:
        """The names of the rows the search leaves visible."""
        return [name for name, item in self.rows().items() if not item.isHidden()]

    def _filter(self, text: str) -> None:
        entries = {entry.name: entry for entry in (self._catalog.entries if self._catalog else ())}
        for group, items in _groups(self.tree):
            shown = 0
            for item in items:
                name = str(item.data(0, _NAME_ROLE))
                entry = entries.get(name) or _unknown_entry(name)
                item.setHidden(not entry.matches(text))
                shown += not item.isHidden()
            group.setHidden(shown == 0)

    # -- user actions ------------------------------------------------------------------

    def _on_search_edit_text_changed(self, text: str) -> None:
        self._filter(text)

    def _on_tree_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        name = item.data(0, _NAME_ROLE)
        if column != 0 or name is None:
            return
        ticked = item.checkState(0) == Qt.CheckState.Checked
        names = [other for other in self._names if other != name]
        if ticked:
            names = [*self._names, str(name)] if name not in self._names else list(self._names)
        if names != self._names:
            # Known before the document echoes it back, so that the echo changes no row:
            # this item is still inside its own itemChanged and must not be deleted.
            self._names = names
            self.toolsEdited.emit(names)

    async def new_tool(self, name: str | None = None) -> bool:
        """Writes a new ``@tool`` file into the crew's folder and gives the tool to the agent;
        asks for its name when ``name`` is None.

        Returns:
            True when the file was written and the tool added.
        """
        context = await self.host.context()
        if context.folder is None:
            self._say("Save the crew first: its Python tools live in its folder.")
            return False
        if name is None:
            name = await self._ask_name()
            if name is None:
                return False
        try:
            path, tool_name = await asyncio.to_thread(new_tool_file, context.folder, name.strip())
        except (ValueError, OSError) as exc:
            self._say(f"No tool written: {exc}")
            return False
        await self.refresh(force=True)
        if tool_name not in self._names:
            self.toolsEdited.emit([*self._names, tool_name])
        trust = "" if context.trusted else " It runs once you trust this folder."
        self._say(f"Wrote {path}: edit its function and docstring.{trust}")
        return True

    async def _ask_name(self) -> str | None:
        dialog = QInputDialog(self)
        dialog.setObjectName("newToolDialog")
        dialog.setWindowTitle("New Python tool")
        dialog.setLabelText("The tool's name (a Python name, such as word_count):")
        if await finished(dialog) != QDialog.DialogCode.Accepted:
            return None
        return dialog.textValue()

    async def trust(self) -> None:
        """Trusts the crew's folder (its tools may then run) and lists its tools again."""
        folder = self._context.folder
        if folder is None:
            return
        await self.host.trust_folder(folder)
        await self.refresh(force=True)
        self._say(f"Trusted {folder}: its Python tools run with this crew.")


def _groups(tree: QTreeWidget) -> Iterator[tuple[QTreeWidgetItem, list[QTreeWidgetItem]]]:
    """Each group row of ``tree`` with its tool rows."""
    for index in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(index)
        if group is not None:
            children = (group.child(row) for row in range(group.childCount()))
            yield group, [item for item in children if item is not None]


def _unknown_entry(name: str) -> ToolEntry:
    """A row for a name the catalog does not know (kept, so nothing is dropped)."""
    return ToolEntry(name=name, title=name, source="builtin", description=(
        "CrewDesk has no tool with this name here: untick it, or add the tool it names"),
        note="Not in the catalog")
