"""The run history: a searchable table of runs and the output of the selected one."""

from desktop_app.ui.history._view import HistoryView

__all__ = ["HistoryView"]
