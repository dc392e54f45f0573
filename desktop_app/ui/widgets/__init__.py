"""Small shared widgets and helpers of the designer, settings and history views."""

from desktop_app.ui.widgets.ask import ask, choose_path
from desktop_app.ui.widgets.fields import FieldRow
from desktop_app.ui.widgets.protocols import ServicesLike
from desktop_app.ui.widgets.tasks import TaskOwner

__all__ = ["FieldRow", "ServicesLike", "TaskOwner", "ask", "choose_path"]
