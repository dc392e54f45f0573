"""How a tool call reads in a run's panel and history."""

from __future__ import annotations

import json

from desktop_app.ui.controllers.run_state import describe_tool_call


def test_code_shows_as_its_own_lines_not_escaped_json() -> None:
    arguments = json.dumps({"code": "values = [1, 2]\nprint(sum(values) / len(values))"})
    assert describe_tool_call("code_interpreter", arguments) == (
        "⚙ code_interpreter()\n    values = [1, 2]\n    print(sum(values) / len(values))"
    )


def test_other_arguments_show_as_key_value() -> None:
    text = describe_tool_call("read_file", json.dumps({"path": "notes/ünï.txt", "limit": 5}))
    assert text == '⚙ read_file(path="notes/ünï.txt", limit=5)'


def test_arguments_that_are_not_a_json_object_show_as_they_came() -> None:
    assert describe_tool_call("t", "not json {") == "⚙ t(not json {)"
    assert describe_tool_call("t", "[1, 2]") == "⚙ t([1, 2])"


def test_very_long_calls_are_cut() -> None:
    text = describe_tool_call("code_interpreter", json.dumps({"code": "x = 1\n" * 2000}), limit=100)
    assert len(text) == 100 and text.endswith("…")
