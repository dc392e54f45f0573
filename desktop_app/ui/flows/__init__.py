"""Flows in the app: a Flow project's graph, and the dashboard's panel of one flow run.

- `_static`: the crews each step names in its source (read with `ast`, no code run).
- `graph_view`: `FlowGraphView`, the read-only graph (steps, labelled edges, node states).
- `flow_panel`: `FlowPanel`, one flow run on the dashboard (graph, crews' streams, state).
- `_design`: `FlowDesignView`, an open Flow project in the designer area, with Run.
- `_window`: opening a Flow project from "Open CrewAI project…" and the dashboard's flow runs.
"""
