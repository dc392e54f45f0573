"""CrewAI projects in the app: opening one (asking once whether its code may run), the list
of open projects, and what a run of a project's own crew needs.

- `_trust`: the question, remembered per folder in the settings.
- `_session`: `OpenProject` and `load_project` (its files, and its code when trusted).
- `_registry`: `OpenProjects`, on `AppServices.projects`.
- `_opener`: `ProjectOpener`, the steps of "Open CrewAI project…".
"""
