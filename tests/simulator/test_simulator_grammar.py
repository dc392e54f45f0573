"""The model-string grammar and the server-wide settings."""

from __future__ import annotations

import pytest

from desktop_app.simulator import (
    ModelStringError,
    SimulatorConfig,
    parse_model_string,
)

DEFAULTS = SimulatorConfig().settings()


def test_plain_sim_keeps_the_server_defaults() -> None:
    assert parse_model_string("sim", DEFAULTS) == DEFAULTS
    assert DEFAULTS.ttft == 0.05
    assert DEFAULTS.tps == 200.0
    assert DEFAULTS.tokens == 20


def test_timing_overrides() -> None:
    settings = parse_model_string("sim:ttft=0.5,tps=150,tokens=7", DEFAULTS)
    assert (settings.ttft, settings.tps, settings.tokens) == (0.5, 150.0, 7)
    assert settings.status is None


def test_fault_settings() -> None:
    settings = parse_model_string(
        "sim:status=429,retry_after=1.5,fail_times=2,drop_after=5,hang=1,malformed=1,bytes=900",
        DEFAULTS,
    )
    assert settings.status == 429
    assert settings.retry_after == 1.5
    assert settings.fail_times == 2
    assert settings.drop_after == 5
    assert settings.hang is True
    assert settings.malformed is True
    assert settings.reply_bytes == 900


def test_context_and_structured_settings() -> None:
    settings = parse_model_string("sim:context=50,structured=0", DEFAULTS)
    assert (settings.context, settings.structured) == (50, False)
    assert DEFAULTS.structured is True
    with pytest.raises(ModelStringError, match="'structured' .* must be 0 or 1"):
        parse_model_string("sim:structured=no", DEFAULTS)


def test_echo_key_is_a_flag_of_401_errors() -> None:
    assert parse_model_string("sim:status=401,echo_key=1", DEFAULTS).echo_key is True
    assert DEFAULTS.echo_key is False
    with pytest.raises(ModelStringError, match="echo_key needs status=401"):
        parse_model_string("sim:echo_key=1", DEFAULTS)
    with pytest.raises(ModelStringError, match="echo_key needs status=401"):
        parse_model_string("sim:status=500,echo_key=1", DEFAULTS)


def test_server_wide_settings_are_the_base_of_overrides() -> None:
    defaults = SimulatorConfig(ttft=1.0, tokens=3, drop_after=2).settings()
    settings = parse_model_string("sim:tokens=9", defaults)
    assert (settings.ttft, settings.tokens, settings.drop_after) == (1.0, 9, 2)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("sim:bogus=1", "Unknown setting 'bogus'"),
        ("sim:tokens=abc", "'tokens' in model string 'sim:tokens=abc' must be an integer"),
        ("sim:ttft=nan", "'ttft'"),
        ("sim:ttft=-1", "ttft must be >= 0"),
        ("sim:tps=0", "tps must be > 0"),
        ("sim:tokens=0", "tokens must be >= 1"),
        ("sim:tokens=1,tokens=2", "'tokens' appears twice"),
        ("sim:", "no settings"),
        ("sim:tokens", "not of the form key=value"),
        ("sim:tokens=", "not of the form key=value"),
        ("sim:tokens=2,", "not of the form key=value"),
        ("sim: tokens=2", "Unknown setting ' tokens'"),
        ("sim:status=200", "status must be in 400..599"),
        ("sim:retry_after=1", "retry_after needs status"),
        ("sim:fail_times=1", "fail_times needs status"),
        ("sim:hang=yes", "'hang' in model string 'sim:hang=yes' must be 0 or 1"),
        ("sim:bytes=0", "bytes must be >= 1"),
    ],
)
def test_bad_model_strings_are_named_in_the_error(model: str, expected: str) -> None:
    with pytest.raises(ModelStringError) as caught:
        parse_model_string(model, DEFAULTS)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    "model",
    ["gpt-4o", "anthropic/claude-3-5-sonnet-20241022", "ollama/llama3:8b", "simulator", "SIM",
     "gpt-4o:tokens=nope", ""],
)
def test_any_other_model_gets_the_defaults(model: str) -> None:
    assert parse_model_string(model, DEFAULTS) == DEFAULTS


def test_a_provider_prefix_keeps_the_grammar() -> None:
    assert parse_model_string("openai/sim:tokens=3", DEFAULTS).tokens == 3
    with pytest.raises(ModelStringError, match="Unknown setting 'nope'"):
        parse_model_string("openai/sim:nope=1", DEFAULTS)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"host": "0.0.0.0"}, "loopback"),
        ({"port": 70000}, "port"),
        ({"tokens": 0}, "tokens"),
        ({"retry_after": 1.0}, "retry_after needs status"),
        ({"status": 302}, "status"),
    ],
)
def test_config_rejects_what_it_cannot_honour(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimulatorConfig(**changes)  # type: ignore[arg-type]
