"""Tool keys (contract C4), the unsupported-tool error, and the toolkit's exported names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop_app.engine import builtin_tools, toolkit
from desktop_app.engine.toolkit._keys import MissingKeyError, key_for, require_key, set_key_source
from desktop_app.engine.toolkit.unsupported import UNSUPPORTED_HINT, unsupported_tool_error


@pytest.fixture(autouse=True)
def _no_source(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("SERPER_API_KEY", raising=False)
    yield
    set_key_source(None)


def test_the_environment_wins_over_the_installed_source(monkeypatch: pytest.MonkeyPatch) -> None:
    assert key_for("SERPER_API_KEY") is None
    set_key_source({"SERPER_API_KEY": "from-keychain"}.get)
    assert key_for("SERPER_API_KEY") == "from-keychain"
    monkeypatch.setenv("SERPER_API_KEY", "from-env")
    assert key_for("SERPER_API_KEY") == "from-env"


def test_a_failing_source_counts_as_no_key_and_the_error_names_the_variable() -> None:
    def broken(_name: str) -> str | None:
        raise RuntimeError("keychain locked")

    set_key_source(broken)
    assert key_for("SERPER_API_KEY") is None
    with pytest.raises(MissingKeyError, match="SerperDevTool needs an API key: set the "
                       "environment variable SERPER_API_KEY .*Settings"):
        require_key("SERPER_API_KEY", "SerperDevTool")
    assert require_key("SERPER_API_KEY", "SerperDevTool", given="explicit") == "explicit"


def test_unsupported_tools_name_themselves_and_the_way_out() -> None:
    error = unsupported_tool_error("FirecrawlSearchTool")
    assert isinstance(error, ImportError)
    assert str(error).startswith(
        "CrewDesk has no equivalent of the crewai_tools tool 'FirecrawlSearchTool'. "
    )
    assert str(error).endswith(UNSUPPORTED_HINT)
    assert "@tool" in UNSUPPORTED_HINT and "docs/COMPATIBILITY.md" in UNSUPPORTED_HINT
    assert "has no tool named 'NoSuchTool'" in str(unsupported_tool_error("NoSuchTool"))


def test_the_toolkit_exports_exactly_the_registry_names() -> None:
    # RagTool has no source until code adds one: not a tool a crew file can list by name.
    assert set(toolkit.__all__) - {"RagTool"} == set(builtin_tools.CREWAI_TOOL_NAMES)
    for name in builtin_tools.CREWAI_TOOL_NAMES:
        made = builtin_tools.tool_by_name(name, allow_network=True)
        assert type(made) is getattr(toolkit, name)  # made with no key and no file


def test_a_setting_a_toolkit_tool_lacks_is_warned_about_not_dropped() -> None:
    with pytest.warns(UserWarning, match="SerperDevTool: env_vars is not supported"):
        toolkit.SerperDevTool.model_validate({"env_vars": []})
    with pytest.warns(UserWarning, match="TavilySearchTool: proxies"):
        toolkit.TavilySearchTool(proxies={"https": "http://proxy:1"})


def test_every_network_tool_names_its_key_variable() -> None:
    from desktop_app.engine.toolkit import brave, exa, serper, tavily
    from desktop_app.engine.toolkit._keys import TOOL_KEY_NAMES

    assert {module.KEY_ENV for module in (serper, tavily, exa, brave)} == set(TOOL_KEY_NAMES)


def test_a_tool_warning_points_at_the_line_that_made_the_tool() -> None:
    with pytest.warns(UserWarning, match="summarize=True") as caught:
        toolkit.TXTSearchTool(summarize=True)
    assert caught[0].filename == __file__
