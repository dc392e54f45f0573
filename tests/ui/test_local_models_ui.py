"""Local models in the model pickers: the agent form's and a provider's, with their badge,
tooltip and the warning for a model that cannot call tools (fake Ollama and LM Studio servers
over real HTTP, real widgets)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from desktop_app.documents import AgentSpec, CrewDocument, TaskSpec
from desktop_app.engine._local_models import LocalModel
from desktop_app.storage.settings import Settings
from desktop_app.ui.designer._agent_form import AgentForm
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.settings._provider_form import ProviderForm
from desktop_app.ui.settings._providers import new_provider
from desktop_app.ui.widgets.local_models import LOCAL_ROLE, LocalModelFinder
from desktop_app.ui.widgets.tasks import TaskOwner
from tests.engine.local_servers import (
    LM_STUDIO_V0,
    OLLAMA_TAGS,
    json_route,
    ollama_show,
    serving,
)


@pytest.fixture
def finder(qtbot: QtBot) -> Iterator[LocalModelFinder]:
    """A finder on fake Ollama and LM Studio servers, its first lookup done."""
    with serving() as start:
        ollama, _ = start({"GET /api/tags": json_route(OLLAMA_TAGS),
                           "POST /api/show": ollama_show})
        lm_studio, _ = start({"GET /api/v0/models": json_route(LM_STUDIO_V0)})
        found = LocalModelFinder({"ollama": ollama, "lm_studio": lm_studio})
        with qtbot.waitSignal(found.found, timeout=5000):
            found.refresh()
        yield found


def _local_entries(box: QComboBox) -> dict[str, LocalModel]:
    entries = {}
    for index in range(box.count()):
        model = box.itemData(index, LOCAL_ROLE)
        if model is not None:
            assert not box.itemIcon(index).isNull()  # the "local" badge
            entries[box.itemText(index)] = model
    return entries


def _doc(llm: str | None) -> CrewDocument:
    return CrewDocument(
        name="Local", agents=[AgentSpec(key="a", role="Writer", goal="Write", backstory="W.",
                                        llm=llm, tools=["FileReadTool"])],
        tasks=[TaskSpec(key="t", description="Write", expected_output="Text", agent="a")])


def test_the_agent_form_offers_local_models_and_warns_for_one_without_tools(
    qtbot: QtBot, finder: LocalModelFinder,
) -> None:
    editor = CrewEditor()
    editor.open(_doc("ollama/llama2:7b"), crew_id=None)
    form = AgentForm(editor, TaskOwner(), local_models=finder)
    qtbot.addWidget(form)
    form.show_agent(editor.document, 0, {})
    form.show()

    entries = _local_entries(form.model_box)
    assert list(entries) == ["ollama/llama3.2:latest", "ollama/llama2:7b",
                             "lm_studio/qwen2.5-7b-instruct", "lm_studio/gemma-2-2b-it"]
    index = form.model_box.findText("ollama/llama3.2:latest")
    tooltip = form.model_box.itemData(index, Qt.ItemDataRole.ToolTipRole)
    assert "Local model on Ollama" in tooltip and "can call tools" in tooltip
    assert form.model_box.findText("openai/gpt-4o-mini") >= 0  # the suggestions stay
    assert form.local_warning.isVisible()
    assert "llama2:7b (Ollama) cannot call tools" in form.local_warning.text()

    form.model_box.setCurrentIndex(index)  # the user picks a model that can
    assert editor.document.agents[0].llm == "ollama/llama3.2:latest"
    assert not form.local_warning.isVisible()
    form.model_box.setEditText("lm_studio/gemma-2-2b-it")
    assert form.local_warning.isVisible() and "LM Studio" in form.local_warning.text()


def test_a_later_lookup_keeps_what_the_user_typed(qtbot: QtBot, finder: LocalModelFinder) -> None:
    editor = CrewEditor()
    editor.open(_doc("my/own-model"), crew_id=None)
    form = AgentForm(editor, TaskOwner(), local_models=finder)
    qtbot.addWidget(form)
    form.show_agent(editor.document, 0, {})
    with qtbot.waitSignal(finder.found, timeout=5000):
        finder.refresh(force=True)
    assert form.model_box.currentText() == "my/own-model"
    assert len(_local_entries(form.model_box)) == 4  # replaced, not added twice
    assert editor.document.agents[0].llm == "my/own-model"


def test_a_provider_lists_only_its_own_servers_models(
    qtbot: QtBot, finder: LocalModelFinder,
) -> None:
    form = ProviderForm(local_models=finder)
    qtbot.addWidget(form)
    settings = Settings()
    form.show_provider(new_provider(settings, "lm_studio"), False)
    assert list(_local_entries(form.model_box)) == [
        "lm_studio/qwen2.5-7b-instruct", "lm_studio/gemma-2-2b-it"]
    form.show_provider(new_provider(settings, "ollama"), False)
    assert list(_local_entries(form.model_box)) == [
        "ollama/llama3.2:latest", "ollama/llama2:7b"]
    form.model_box.setEditText("ollama/llama2:7b")
    assert not form.local_warning.isHidden()
    form.show_provider(new_provider(settings, "openai"), False)
    assert _local_entries(form.model_box) == {}
