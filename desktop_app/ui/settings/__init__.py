"""The settings._dialog: providers, API keys in the keychain, concurrency, run mode."""

from desktop_app.ui.settings._dialog import SettingsDialog

__all__ = ["SettingsDialog"]
