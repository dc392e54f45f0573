"""The embedded store under memory and knowledge: ranking, odd queries, vectors, scopes."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.engine._fts import FtsStore, NewItem, fts_query
from desktop_app.engine.memory import find_entities


@pytest.fixture
def store(tmp_path: Path) -> FtsStore:
    opened = FtsStore(tmp_path / "store.sqlite3")
    yield opened  # type: ignore[misc]
    opened.close()


def test_bm25_puts_the_closest_item_first_and_keeps_each_text_once(store: FtsStore) -> None:
    texts = ["tides rise every day near the old port", "tides at Brest", "bread rises"]
    assert store.add(NewItem("long_term", text) for text in texts) == 3
    assert store.add([NewItem("long_term", texts[0])]) == 0  # already there

    found = store.search("long_term", "Brest tides", limit=5)
    assert [item.text for item in found][:2] == [texts[1], texts[0]]
    assert texts[2] not in [item.text for item in found]
    assert found[0].score >= found[1].score
    assert store.counts() == {"long_term": 3}


@pytest.mark.parametrize(
    "query", ['"', "NEAR(a b)", "tides* OR", "AND", "x:y", "'; DROP TABLE items; --", "", "ü"]
)
def test_any_text_is_a_safe_query(store: FtsStore, query: str) -> None:
    store.add([NewItem("entity", 'tides NEAR Brest: a quote " and a colon x:y')])
    found = store.search("entity", query)
    assert store.count() == 1
    assert len(found) <= 1
    assert fts_query("the and of") is None  # only stop words: nothing to match


def test_scopes_runs_and_kinds_keep_items_apart(store: FtsStore) -> None:
    store.add(
        [
            NewItem("short_term", "tides one", scope="run-1", metadata={"run_id": "run-1"}),
            NewItem("short_term", "tides two", scope="run-2", metadata={"run_id": "run-2"}),
            NewItem("long_term", "tides three", metadata={"run_id": "run-1"}),
        ]
    )
    assert [i.text for i in store.search("short_term", "tides", scopes=["run-2"])] == ["tides two"]
    assert store.search("long_term", "tides", exclude_run="run-1") == []
    assert store.search("short_term", "tides", scopes=[]) == []
    assert store.delete("short_term", "run-1") == 1
    assert store.counts() == {"short_term": 1, "long_term": 1}


def test_vectors_of_the_same_model_add_a_cosine_ranking(store: FtsStore) -> None:
    store.add(
        [
            NewItem("knowledge", "alpha", vector=[1.0, 0.0]),
            NewItem("knowledge", "beta", vector=[0.0, 1.0]),
        ],
        vector_model="m1",
    )
    store.add([NewItem("knowledge", "gamma", vector=[0.0, 1.0])], vector_model="m2")

    near_beta = store.search(
        "knowledge", "zzz", limit=2, query_vector=[0.1, 0.9], vector_model="m1"
    )
    assert [item.text for item in near_beta] == ["beta", "alpha"]  # gamma: another model
    assert store.search("knowledge", "zzz", limit=2) == []


def test_entities_are_capitalised_names_without_sentence_openers() -> None:
    text = (
        "Answer to: Current Task: Research Marie Curie in Paris with the NASA team. "
        "The crew met Bank of England staff. the end"
    )
    names = [entity.name for entity in find_entities(text)]
    assert names == ["Marie Curie", "Paris", "NASA", "Bank of England"]
    assert find_entities(text, limit=2)[1].mention.startswith("Answer to: Current Task")
    assert find_entities("all lower case here") == []
