"""Small shared widgets and helpers of the designer, settings and history views."""

from desktop_app.ui.widgets.protocols import ServicesLike

__all__ = ["ServicesLike"]
