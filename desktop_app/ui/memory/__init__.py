"""The memory and knowledge stores of the crews, in a dialog: `MemoryDialog`."""

from desktop_app.ui.memory._dialog import MemoryDialog
from desktop_app.ui.memory._stores import StoreRow, store_name_for

__all__ = ["MemoryDialog", "StoreRow", "store_name_for"]
