"""The crew designer: a list of crews and an editor for the selected one."""

from desktop_app.ui.designer._view import DesignerView

__all__ = ["DesignerView"]
