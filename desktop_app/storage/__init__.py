"""Storage: paths, settings, secrets (the OS keychain) and run history (SQLite).

Nothing here imports Qt. Blocking work (files, keychain, SQLite) has async wrappers that run
it off the event loop, which is the GUI thread.
"""
