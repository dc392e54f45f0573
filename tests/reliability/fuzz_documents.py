"""Generated and mutated crew files, and the one question asked of each: load or clear error?

Shared by `test_fuzz_documents.py` (a few hundred cases in the default suite) and
`benchmarks/reliability_fuzz.py` (many thousands). A case is a set of files (relative path ->
text or bytes) and the entry point that opens them; `attempt` writes them to a fresh folder
and returns "loaded" or "error" (a `CrewFileError`); anything else it raises is a crash.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from desktop_app.documents import (
    CrewFileError,
    import_crewai_project,
    load_crew,
    open_crew,
)
from tests.documents import projects

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"

Files = dict[str, str | bytes]


@dataclass(frozen=True)
class Case:
    """Files to write and the loader to open them with (by its name)."""

    entry: str
    target: str
    files: Files


_LOADERS: dict[str, Callable[[Path], object]] = {
    "load_crew": load_crew,
    "open_crew": open_crew,
    "import_crewai_project": import_crewai_project,
}


def attempt(case: Case) -> str:
    """Writes the case's files to a fresh folder and opens them.

    Returns:
        "loaded", or "error" when the loader raised `CrewFileError`.

    Raises:
        Whatever else the loader raised: that is a crash.
    """
    with tempfile.TemporaryDirectory(prefix="crewdesk-fuzz-") as folder:
        root = Path(folder)
        for relative, content in case.files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", errors="surrogatepass")
        try:
            _LOADERS[case.entry](root / case.target)
        except CrewFileError as exc:
            str(exc)  # the message itself must build
            return "error"
    return "loaded"


# --- seeds ----------------------------------------------------------------------------------

def _seed_crew_files() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*.crew.yaml"))]


CREW_SEEDS = _seed_crew_files()
CLASSIC_SEED: Files = {
    "config/agents.yaml": projects.CLASSIC_AGENTS,
    "config/tasks.yaml": projects.CLASSIC_TASKS,
    "crew.py": projects.CLASSIC_CREW_PY,
}
JSONC_SEED: Files = {
    "crew.jsonc": projects.JSONC_CREW,
    "agents/researcher.jsonc": projects.JSONC_RESEARCHER,
    "agents/analyst.jsonc": projects.JSONC_ANALYST,
}

# --- text mutations -------------------------------------------------------------------------

ODD_PIECES = [
    "{", "}", "{topic}", "{{", "}}", "[", "]", ": ", "- ", "\n", "\n  ", "\t", "#", "//", "/*",
    "*/", '"', "'", "\\", "&a ", "*a", "<<: *a", "!!python/object:os.system", "!!binary",
    "---", "...", "? ", "|", ">", "~", "null", "true", "1e999", "-0", "0x10", "é", "日本語",
    "🙂", "\u202e", "\x00", "\x07", "\x1b[31m", "\ufeff", "\ud800", "agent: ", "context: ",
    "schema_version: 99", "schema_version: x", "tasks:", "agents:", "role:", "llm: ",
    "tools: [", "key: ", "a" * 5000,
]


@st.composite
def mutated(draw: st.DrawFn, seed: str) -> str:
    """The seed text with a few random cuts, insertions, swaps and repeats."""
    text = seed
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "repeat", "truncate", "swap"]))
        at = draw(st.integers(0, len(text)))
        size = draw(st.integers(0, 40))
        if op == "insert":
            piece = draw(st.one_of(st.sampled_from(ODD_PIECES), st.text(max_size=20)))
            text = text[:at] + piece + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + size:]
        elif op == "replace":
            text = text[:at] + draw(st.text(max_size=size)) + text[at + size:]
        elif op == "repeat":
            text = text[:at] + text[at:at + size] * draw(st.integers(2, 5)) + text[at:]
        elif op == "truncate":
            text = text[:at]
        else:
            other = draw(st.integers(0, len(text)))
            lo, hi = sorted((at, other))
            text = text[hi:] + text[lo:hi] + text[:lo]
    return text


KEYS = ["name", "schema_version", "agents", "tasks", "key", "role", "goal", "backstory",
        "description", "expected_output", "agent", "context", "llm", "tools", "settings",
        "input_sets", "values", "stream", "process", "max_iter", "base_url", "credential",
        "allow_code_execution", "output_file", "markdown", "verbose", "extra", "llm_options"]

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
    st.text(max_size=30), st.sampled_from(["{topic}", "researcher", "research_task", "1", ""]),
)
VALUES = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=25,
)
"""Random nested data with the words crew files use as keys."""


def _yaml_dump(value: Any) -> str:
    return str(yaml.safe_dump(value, allow_unicode=True, sort_keys=False))


def _deep(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    if kind == "map":
        return "{a: " * depth + "1" + "}" * depth
    return "x: &a [1, 2]\n" + "".join(
        f"x{i}: &a{i} [*{'a' if i == 0 else f'a{i - 1}'}, *{'a' if i == 0 else f'a{i - 1}'}]\n"
        for i in range(depth)
    )


HOSTILE = st.builds(
    _deep, st.integers(10, 1500), st.sampled_from(["list", "map", "aliases"])
)
"""Deep nesting and alias bombs (billion laughs)."""


@st.composite
def crew_file_texts(draw: st.DrawFn) -> str | bytes:
    """The text of a ``.crew.yaml``: a mutated example, a valid one with odd values, random
    YAML, a hostile one, or bytes that are not UTF-8."""
    kind = draw(st.sampled_from(["mutated", "structured", "random", "hostile", "bytes"]))
    if kind == "mutated":
        return draw(mutated(draw(st.sampled_from(CREW_SEEDS))))
    if kind == "structured":
        document = yaml.safe_load(draw(st.sampled_from(CREW_SEEDS)))
        return _yaml_dump(_perturb(draw, document))
    if kind == "random":
        return _yaml_dump(draw(VALUES))
    if kind == "hostile":
        return draw(HOSTILE)
    return draw(st.binary(max_size=200))


def _perturb(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """Replaces a few leaves or branches of parsed YAML with random values."""
    if depth < 6 and isinstance(value, dict) and value:
        key = draw(st.sampled_from(sorted(value, key=str)))
        value = dict(value)
        value[key] = (_perturb(draw, value[key], depth + 1) if draw(st.booleans())
                      else draw(VALUES))
        return value
    if depth < 6 and isinstance(value, list) and value:
        index = draw(st.integers(0, len(value) - 1))
        value = list(value)
        value[index] = (_perturb(draw, value[index], depth + 1) if draw(st.booleans())
                        else draw(VALUES))
        return value
    return draw(VALUES)


@st.composite
def crew_file_cases(draw: st.DrawFn) -> Case:
    """A ``.crew.yaml`` opened with `load_crew` or `open_crew`."""
    entry = draw(st.sampled_from(["load_crew", "open_crew"]))
    return Case(entry, "crew.crew.yaml", {"crew.crew.yaml": draw(crew_file_texts())})


@st.composite
def classic_cases(draw: st.DrawFn) -> Case:
    """A CrewAI project in the ``config/agents.yaml`` layout with one or two files changed."""
    files = dict(CLASSIC_SEED)
    for name in draw(st.sets(st.sampled_from(sorted(files)), min_size=1)):
        files[name] = _changed(draw, str(files[name]), name.endswith(".yaml"))
    if draw(st.booleans()):
        files.pop(draw(st.sampled_from(sorted(files))))
    entry = draw(st.sampled_from(["import_crewai_project", "open_crew"]))
    target = draw(st.sampled_from(["", "config", "config/agents.yaml"]))
    return Case(entry, target, files)


@st.composite
def jsonc_cases(draw: st.DrawFn) -> Case:
    """A CrewAI project in the ``crew.jsonc`` layout with one or two files changed."""
    files = dict(JSONC_SEED)
    for name in draw(st.sets(st.sampled_from(sorted(files)), min_size=1)):
        files[name] = _changed(draw, str(files[name]), False)
    entry = draw(st.sampled_from(["import_crewai_project", "open_crew"]))
    return Case(entry, draw(st.sampled_from(["", "crew.jsonc"])), files)


def _changed(draw: st.DrawFn, text: str, is_yaml: bool) -> str | bytes:
    kind = draw(st.sampled_from(["mutated", "mutated", "random", "hostile", "bytes"]))
    if kind == "mutated":
        return draw(mutated(text))
    if kind == "random":
        value = draw(VALUES)
        return _yaml_dump(value) if is_yaml else json.dumps(value, ensure_ascii=False)
    if kind == "hostile":
        return draw(HOSTILE)
    return draw(st.binary(max_size=200))


ALL_CASES = st.one_of(crew_file_cases(), classic_cases(), jsonc_cases())
"""Every kind of case, for the benchmark."""
