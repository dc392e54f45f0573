"""Fixtures for reliability tests: the engine tests' simulator and LLM makers."""

from __future__ import annotations

from tests.engine.conftest import llm_on, make_llm, sim, sim_thread

__all__ = ["llm_on", "make_llm", "sim", "sim_thread"]
