"""CrewAI 1.15's parameters, and what CrewDesk does with each one it does not implement.

`Agent`, `Task`, `Crew` (and `LLM`) accept every parameter CrewAI 1.15.30 has, so real
projects construct unchanged. A parameter either takes effect (a declared pydantic field of
the engine's class), or is listed here:

- `IGNORED`: class -> parameter -> why CrewDesk ignores it. Given a value other than CrewAI's
  default, the object warns (`IgnoredSettingWarning`), keeps an `IgnoredSetting`, and every run
  of a crew that holds it emits a `SettingIgnored` event. This is the one code table of warned
  settings (docs/COMPATIBILITY.md is kept true against it).
- `NO_EFFECT`: parameters accepted without a warning because CrewDesk already behaves as any
  value asks (e.g. `cache=False`: CrewDesk never caches tool results), or because they are
  CrewAI's own run-time state that a project never sets.

A keyword that is no CrewAI 1.15 parameter at all also warns (CrewAI drops it silently).
Values of parameters not declared as fields are kept, and read back as attributes.
"""

from __future__ import annotations

import difflib
import os
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import BaseModel, ModelWrapValidatorHandler, PrivateAttr, model_validator

from desktop_app.engine.errors import IgnoredSettingWarning

__all__ = [
    "CREWAI_FIELDS",
    "IGNORED",
    "CrewAIModel",
    "NO_EFFECT",
    "IgnoredSetting",
    "Prepared",
    "crewai_default",
    "find_ignored",
    "prepare",
    "warn_ignored",
]

_AGENT = (
    "a2a adapted_agent agent_executor agent_knowledge_context allow_code_execution "
    "allow_delegation apps backstory cache cache_handler callbacks checkpoint "
    "checkpoint_kickoff_event_id code_execution_mode config crew crew_knowledge_context "
    "date_format embedder entity_type execution_context executor_class from_repository "
    "function_calling_llm goal guardrail guardrail_max_retries i18n id inject_date knowledge "
    "knowledge_config knowledge_search_query knowledge_sources knowledge_storage llm "
    "max_execution_time max_iter max_reasoning_attempts max_retry_limit max_rpm max_tokens mcps "
    "memory multimodal planning planning_config prompt_template reasoning "
    "respect_context_window response_template role security_config skills step_callback "
    "system_template tool_failure_policy tools tools_handler tools_results "
    "use_better_compaction use_system_prompt verbose"
)
_TASK = (
    "agent allow_crewai_trigger_context async_execution callback "
    "checkpoint_original_description checkpoint_original_expected_output config context "
    "converter_cls create_directory delegations description end_time expected_output guardrail "
    "guardrail_max_retries guardrails human_input id input_files markdown max_retries name "
    "output output_file output_json output_pydantic processed_by_agents prompt_context "
    "response_model retry_count security_config start_time tool_failure_policy tools "
    "tools_errors used_tools"
)
_CREW = (
    "after_kickoff_callbacks agents before_kickoff_callbacks cache chat_llm checkpoint "
    "checkpoint_inputs checkpoint_kickoff_event_id checkpoint_train config embedder entity_type "
    "execution_context execution_logs function_calling_llm id knowledge knowledge_sources "
    "manager_agent manager_llm max_rpm memory name output_log_file planning planning_llm "
    "process prompt_file security_config share_crew skills step_callback stream task_callback "
    "task_execution_output_json_files tasks token_usage tool_failure_policy tracing "
    "trained_agents_file usage_metrics verbose"
)
_LLM = (
    "additional_params api_base api_key api_version base_url callbacks completion_cost "
    "context_window_size frequency_penalty interceptor is_anthropic is_litellm llm_type "
    "logit_bias logprobs max_completion_tokens max_tokens model n prefer_upload "
    "presence_penalty provider reasoning_effort response_format seed stop stream temperature "
    "thinking timeout top_logprobs top_p"
)

CREWAI_FIELDS: dict[str, frozenset[str]] = {
    "Agent": frozenset(_AGENT.split()),
    "Task": frozenset(_TASK.split()),
    "Crew": frozenset(_CREW.split()),
    "LLM": frozenset(_LLM.split()),
}
"""Every parameter of CrewAI 1.15.30's classes (`model_fields`)."""

_STATE = "CrewAI's run-time state, not a setting"
_CHECKPOINT = "checkpoints (resuming a run) are not supported by CrewDesk"
_SECURITY = "CrewAI's fingerprinting is not supported by CrewDesk"
_FAILURE = "tool_failure_policy is not supported: a failing tool's error goes back to the model"
_SKILLS = "skills are not supported by CrewDesk"

IGNORED: dict[str, dict[str, str]] = {
    "Agent": {
        "a2a": "agent-to-agent (A2A) delegation is not supported by CrewDesk",
        "apps": "CrewAI AMP apps are not supported by CrewDesk",
        "cache_handler": "CrewDesk does not cache tool results",
        "callbacks": "LangChain-style callbacks are not supported; use step_callback",
        "checkpoint": _CHECKPOINT,
        "embedder": "an agent's own embedder is not supported; set Crew(embedder=)",
        "executor_class": "CrewDesk has one agent executor",
        "from_repository": "loading agents from the CrewAI AMP repository is not supported",
        "i18n": "CrewAI's prompt translations are not supported",
        "knowledge": "a Knowledge object is not supported; use knowledge_sources",
        "knowledge_search_query": "CrewDesk searches knowledge with the task's text",
        "knowledge_storage": "CrewDesk keeps knowledge in its own store",
        "max_tokens": "set max_tokens on the agent's LLM instead",
        "memory": "an agent's own memory is not supported; set Crew(memory=True)",
        "multimodal": "multimodal input (images) is not supported by CrewDesk",
        "planning_config": "planning_config is not supported; planning=True uses the defaults",
        "prompt_template": "custom prompt templates are not supported by CrewDesk",
        "response_template": "custom prompt templates are not supported by CrewDesk",
        "security_config": _SECURITY,
        "skills": _SKILLS,
        "system_template": "custom prompt templates are not supported by CrewDesk",
        "tool_failure_policy": _FAILURE,
        "tools_handler": "CrewDesk has its own tool handling",
        "use_system_prompt": "CrewDesk always sends a system prompt",
    },
    "Task": {
        "allow_crewai_trigger_context": "CrewAI AMP triggers are not supported by CrewDesk",
        "converter_cls": "CrewDesk converts output with its own structured-output step",
        "input_files": "input files (multimodal) are not supported by CrewDesk",
        "response_model": "response_model is not supported; use output_pydantic",
        "security_config": _SECURITY,
        "tool_failure_policy": _FAILURE,
    },
    "Crew": {
        "cache": "CrewDesk does not cache tool results",
        "chat_llm": "`crewai chat` is not supported by CrewDesk",
        "checkpoint": _CHECKPOINT,
        "checkpoint_inputs": _CHECKPOINT,
        "checkpoint_train": _CHECKPOINT,
        "knowledge": "a Knowledge object is not supported; use knowledge_sources",
        "prompt_file": "custom prompt files are not supported by CrewDesk",
        "security_config": _SECURITY,
        "share_crew": "CrewDesk sends no data to CrewAI",
        "skills": _SKILLS,
        "tool_failure_policy": _FAILURE,
        "tracing": "CrewAI's cloud tracing is not supported; CrewDesk keeps runs in its history",
        "trained_agents_file": "training is not supported by CrewDesk",
    },
    "LLM": {
        "callbacks": "LiteLLM callbacks are not supported by CrewDesk",
        "interceptor": "HTTP interceptors are not supported by CrewDesk",
        "prefer_upload": "file uploads are not supported by CrewDesk",
    },
}
"""Class name -> parameter -> why CrewDesk ignores it (warned when not CrewAI's default)."""

NO_EFFECT: dict[str, dict[str, str]] = {
    "Agent": {
        "adapted_agent": _STATE,
        "agent_executor": _STATE,
        "agent_knowledge_context": _STATE,
        "cache": "CrewDesk never caches tool results, so every value gives the same run",
        "checkpoint_kickoff_event_id": _STATE,
        "code_execution_mode": "code always runs in a separate, limited process",
        "crew": _STATE,
        "crew_knowledge_context": _STATE,
        "entity_type": _STATE,
        "execution_context": _STATE,
        "tools_results": _STATE,
        "use_better_compaction": "CrewDesk has one way of fitting the context window",
    },
    "Task": {
        "checkpoint_original_description": _STATE,
        "checkpoint_original_expected_output": _STATE,
        "delegations": _STATE,
        "end_time": _STATE,
        "processed_by_agents": _STATE,
        "prompt_context": _STATE,
        "retry_count": _STATE,
        "start_time": _STATE,
        "tools_errors": _STATE,
        "used_tools": _STATE,
    },
    "Crew": {
        "checkpoint_kickoff_event_id": _STATE,
        "entity_type": _STATE,
        "execution_context": _STATE,
        "execution_logs": _STATE,
        "task_execution_output_json_files": _STATE,
        "token_usage": _STATE,
    },
    "LLM": {
        "completion_cost": _STATE,
        "is_anthropic": _STATE,
        "is_litellm": "the client is chosen per provider (native for OpenAI's protocol)",
        "llm_type": _STATE,
        "stream": "CrewDesk always streams; the answer is the same",
    },
}
"""Class name -> parameter -> why it needs no warning."""

_DEFAULTS: dict[str, dict[str, object]] = {
    "Agent": {
        "adapted_agent": False, "cache": True, "callbacks": [], "code_execution_mode": "safe",
        "entity_type": "agent", "multimodal": False, "tools_results": [],
        "use_better_compaction": True, "use_system_prompt": True,
    },
    "Task": {
        "delegations": 0, "input_files": {}, "processed_by_agents": set(), "retry_count": 0,
        "tools_errors": 0, "used_tools": 0,
    },
    "Crew": {
        "cache": False, "entity_type": "crew", "execution_logs": [], "share_crew": False,
    },
    "LLM": {"is_litellm": False, "stream": False, "prefer_upload": False},
}


def crewai_default(class_name: str, setting: str) -> object:
    """CrewAI's default of a parameter CrewDesk does not declare (None for most)."""
    value = _DEFAULTS.get(class_name, {}).get(setting)
    return value.copy() if isinstance(value, list | dict | set) else value


@dataclass(frozen=True, slots=True)
class IgnoredSetting:
    """A setting an object was given that CrewDesk does not act on.

    Attributes:
        owner: Who has it, e.g. "Agent 'Researcher'".
        setting: The parameter's name, e.g. "multimodal".
        message: The whole sentence shown to the user (the warning's text).
    """

    owner: str
    setting: str
    message: str


@dataclass(frozen=True, slots=True)
class Prepared:
    """A constructor's keywords sorted out (see `prepare`).

    Attributes:
        fields: Values for the declared pydantic fields.
        extra: Values of CrewAI parameters the class does not declare (kept, maybe ignored).
        unknown: Keywords that are no CrewAI parameter at all (warned, dropped).
        given_keys: Keywords given explicitly.
        config_keys: Keys whose value came from `config`.
    """

    fields: dict[str, Any]
    extra: dict[str, Any]
    unknown: dict[str, Any]
    given_keys: frozenset[str]
    config_keys: frozenset[str]


def prepare(
    class_name: str, data: Mapping[str, Any], declared: frozenset[str], *, merge_config: bool
) -> Prepared:
    """Merges `config` under the explicit keywords (as CrewAI) and sorts the keywords out.

    As CrewAI's `process_config`: a key of `config` fills a parameter not given (or given as
    None); an explicit value wins. Unlike CrewAI, keys that are no parameter are not dropped
    silently: they end in `unknown`, and warn.
    """
    explicit = dict(data)
    config = explicit.get("config") if merge_config else None
    from_config: dict[str, Any] = {}
    if isinstance(config, Mapping):
        for key, value in config.items():
            if explicit.get(key) is None:
                from_config[str(key)] = value
    values = {**explicit, **from_config}
    known = CREWAI_FIELDS[class_name] | declared
    return Prepared(
        fields={key: value for key, value in values.items() if key in declared},
        extra={key: value for key, value in values.items() if key in known - declared},
        unknown={key: value for key, value in values.items() if key not in known},
        given_keys=frozenset(key for key in explicit if key != "config" and key not in from_config),
        config_keys=frozenset(from_config),
    )


def find_ignored(
    class_name: str, owner: str, extra: Mapping[str, Any], unknown: Mapping[str, Any]
) -> list[IgnoredSetting]:
    """The settings among `extra` and `unknown` that CrewDesk does not act on."""
    found: list[IgnoredSetting] = []
    reasons = IGNORED.get(class_name, {})
    for key, value in extra.items():
        if key in reasons and not _is_default(value, crewai_default(class_name, key)):
            message = (
                f"{owner}: {key}={_short(value)} is not supported by CrewDesk and is ignored "
                f"({reasons[key]})."
            )
            found.append(IgnoredSetting(owner, key, message))
    for key in unknown:
        near = difflib.get_close_matches(key, sorted(CREWAI_FIELDS[class_name]), n=1)
        hint = f" Did you mean '{near[0]}'?" if near else ""
        message = f"{owner}: '{key}' is not a CrewAI {class_name} parameter and is ignored.{hint}"
        found.append(IgnoredSetting(owner, key, message))
    return found


def warn_ignored(settings: list[IgnoredSetting]) -> None:
    """Warns once per setting, pointing at the user's code (outside pydantic and the engine)."""
    for setting in settings:
        warnings.warn(IgnoredSettingWarning(setting.message), stacklevel=_user_stacklevel())


def _is_default(value: object, default: object) -> bool:
    if value is None or value is default:
        return True
    try:
        return bool(value == default)
    except Exception:  # noqa: BLE001 - an object whose == fails is not the default
        return False


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_INTERNAL = (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
    os.path.join("site-packages", "pydantic") + os.sep,
    os.path.join("site-packages", "pydantic_core") + os.sep,
)


def _user_stacklevel() -> int:
    """The `stacklevel` that makes a warning name the first frame outside CrewDesk's package
    and pydantic (the user's line that built the object)."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None:
        name = frame.f_code.co_filename
        if not any(part in name for part in _INTERNAL) and not name.startswith("<frozen"):
            return level
        frame = frame.f_back
        level += 1
    return 1


@dataclass(slots=True)
class _Surface:
    """What a `CrewAIModel` remembers of its constructor's keywords."""

    given: frozenset[str] = frozenset()
    from_config: frozenset[str] = frozenset()
    extra: dict[str, Any] = field(default_factory=dict)
    ignored: list[IgnoredSetting] = field(default_factory=list)


class CrewAIModel(BaseModel):
    """Base of `Agent`, `Task` and `Crew`: CrewAI's keyword surface.

    The constructor takes every CrewAI 1.15 parameter and `config=` (merged under the
    explicit keywords). Parameters the class does not declare are kept and read back as
    attributes (CrewAI's default when not given); the ignored ones and unknown keywords warn.
    """

    crewai_class: ClassVar[str] = ""
    """The CrewAI class whose parameters this class takes ("Agent", "Task", "Crew")."""
    merges_config: ClassVar[bool] = True
    """Whether `config=` holds this object's own parameters (not so for `Crew`)."""

    _surface: _Surface = PrivateAttr(default_factory=_Surface)

    @model_validator(mode="wrap")
    @classmethod
    def _crewai_keywords(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if not isinstance(data, Mapping):
            return handler(data)
        prepared = prepare(
            cls.crewai_class, data, frozenset(cls.model_fields), merge_config=cls.merges_config
        )
        made = handler(prepared.fields)
        ignored = find_ignored(cls.crewai_class, made.owner_label(), prepared.extra, prepared.unknown)
        made._surface = _Surface(
            given=prepared.given_keys,
            from_config=prepared.config_keys,
            extra=prepared.extra,
            ignored=ignored,
        )
        warn_ignored(ignored)
        return made

    def owner_label(self) -> str:
        """How messages name this object, e.g. "Agent 'Researcher'"."""
        return self.crewai_class

    def config_keys(self) -> frozenset[str]:
        """The parameters whose value came from `config=` (e.g. YAML)."""
        return self._surface.from_config

    def given_keys(self) -> frozenset[str]:
        """The keyword arguments given explicitly to the constructor (not `config`)."""
        return self._surface.given

    def ignored_settings(self) -> list[IgnoredSetting]:
        """The settings this object was given that CrewDesk does not act on."""
        return list(self._surface.ignored)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            try:
                return super().__getattr__(name)
            except AttributeError:
                if name.startswith("_") or name not in CREWAI_FIELDS.get(self.crewai_class, ()):
                    raise
            surface = (self.__pydantic_private__ or {}).get("_surface")
            if surface is not None and name in surface.extra:
                return surface.extra[name]
            return crewai_default(self.crewai_class, name)

    def __setattr__(self, name: str, value: Any) -> None:
        """Declared fields are validated; CrewAI parameters not declared are kept (and warn
        when ignored), as the constructor does."""
        if name in type(self).model_fields or name.startswith("_"):
            super().__setattr__(name, value)
            return
        if name not in CREWAI_FIELDS.get(self.crewai_class, ()):
            super().__setattr__(name, value)
            return
        surface = self._surface
        surface.extra[name] = value
        surface.ignored = [item for item in surface.ignored if item.setting != name]
        new = find_ignored(self.crewai_class, self.owner_label(), {name: value}, {})
        surface.ignored.extend(new)
        warn_ignored(new)
