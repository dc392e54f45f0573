"""`import desktop_app.engine` stays light: no Qt, no litellm until the first call."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_engine_loads_neither_qt_nor_litellm() -> None:
    code = (
        "import sys, desktop_app.engine\n"
        "print(sorted(m for m in ('PySide6', 'qasync', 'litellm', 'keyring') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_public_api_is_declared() -> None:
    import desktop_app.engine as engine

    for name in ("Agent", "Task", "Crew", "CrewOutput", "TaskOutput", "UsageMetrics", "LLM",
                 "Process", "StreamChunk", "StreamChunkType", "CrewStreamingOutput"):
        assert name in engine.__all__
        assert getattr(engine, name) is not None


def test_memory_and_knowledge_load_only_when_a_crew_uses_them() -> None:
    code = (
        "import sys, desktop_app.engine\n"
        "mods = ('sqlite3', 'desktop_app.engine._recall_run', 'desktop_app.engine._fts')\n"
        "print(sorted(m for m in mods if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
