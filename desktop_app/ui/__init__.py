"""CrewDesk's desktop app: PySide6 + qasync views, dialogs and controllers.

Import nothing heavy here: `desktop_app.ui.app.main` must show the window within a second.
"""
