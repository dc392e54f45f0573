"""The run dashboard: crews and their inputs on the left, a live panel per run on the right."""

from desktop_app.ui.dashboard.run_grid import RunGrid
from desktop_app.ui.dashboard.run_panel import RunPanel
from desktop_app.ui.dashboard.view import DashboardView

__all__ = ["DashboardView", "RunGrid", "RunPanel"]
