"""Memory and knowledge: store latency at 10,000 items, event-loop lag, indexing, retrieval quality.

Run: `uv run python benchmarks/memory_knowledge.py [--items 10000] [--megabytes 10]` (about a
minute). Everything goes through the engine's own store path (`open_store` + the store's
worker thread), on an event loop with a 5 ms sleeper measuring the loop's lag, in a
temporary folder.

1. Memory: a store filled with `--items` items (long-term and entity texts made from a
   vocabulary), then 200 rounds of what a task does, through the engine's `RunMemory`: recall
   (3 searches: short-term, long-term, entity, in one hop to the store's thread) before it
   and save (3 items) after it. p50/p99 per recall and save,
   with and without 64-dim vectors (the embedder path: BM25 + a cosine scan), and the
   loop's lag meanwhile. For scale, the same calls made on the loop itself (blocking).
2. Knowledge: a `--megabytes` text file indexed (read, chunked 4,000/200, written), then
   retrieval latency p50/p99 (200 queries) and the lag meanwhile.
3. Retrieval quality: 20 questions whose answers are in 20 facts hidden among 400 distractor
   paragraphs that share words with them: hit@3 (the answer is in the top 3 chunks), with
   BM25 alone and with the simulator's bag-of-words vectors mixed in.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any

from desktop_app.engine._fts import FtsStore, NewItem
from desktop_app.engine._store_thread import open_store
from desktop_app.engine.knowledge import TextFileKnowledgeSource
from desktop_app.engine.knowledge._index import apply_plan, plan_index, plan_items
from desktop_app.engine.memory import MemoryConfig
from desktop_app.engine.memory._run_memory import RunMemory, SearchPlan, search_all
from desktop_app.simulator._openai import embedding_vector

_WORD_TEXT = (
    "tide harbour moon river bridge market budget report figure owner deadline draft risk "
    "source metric goal chart table review plan customer invoice refund shipment warehouse "
    "engine pump valve sensor alarm shift nurse ward patient dose trial lab sample protein "
    "court claim contract clause tenant lease roof boiler garden school pupil exam grade"
)
WORDS = _WORD_TEXT.split()
_NAME_TEXT = "Curie Morvan Abgrall Le Goff Tanguy Riou Kerleroux Paris Brest Nantes Lisbon Oslo"
NAMES = _NAME_TEXT.split()
_SYLLABLE_TEXT = "ka ri mo en ta lu po se vi na de or ul sa mi te bo ga ne"
_SYLLABLES = _SYLLABLE_TEXT.split()
_STOP_TEXT = "the of and to a in is that for it as with was on be by at this are from or an"
STOP = _STOP_TEXT.split()
VOCABULARY = (
    STOP + WORDS + [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES[:10]]
)
"""About 4,000 words, drawn with Zipf's law (weight 1/rank) as words of real text are: the
commonest are stop words (which searches skip), then topic words, then rarer made-up ones."""
ZIPF = [1.0 / rank for rank in range(1, len(VOCABULARY) + 1)]


ROUNDS = 200


class LagMeter:
    """A task that sleeps 5 ms again and again and records how late it wakes."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LagMeter:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(0.005)
            self.lags.append(loop.time() - start - 0.005)

    def summary(self) -> str:
        """Max and p99 lateness in ms."""
        if not self.lags:
            return "no samples"
        return f"max {max(self.lags) * 1000:.1f} ms, p99 {pct(self.lags, 99) * 1000:.1f} ms"


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def ms(values: Sequence[float]) -> str:
    """p50 / p99 in ms."""
    return f"p50 {pct(values, 50) * 1000:.2f} ms, p99 {pct(values, 99) * 1000:.2f} ms"


def sentence(rng: random.Random, words: int = 14) -> str:
    """A made-up sentence with a name or two."""
    parts = rng.choices(VOCABULARY, weights=ZIPF, k=words)
    parts[rng.randrange(words)] = rng.choice(NAMES)
    return " ".join(parts).capitalize() + "."


def memory_items(rng: random.Random, count: int, vectors: bool) -> list[NewItem]:
    """`count` long-term and entity items, as a crew's runs would leave them."""
    items = []
    for n in range(count):
        text = f"Task: {sentence(rng, 8)}\nResult: {sentence(rng)} {sentence(rng)} #{n}"
        kind = "long_term" if n % 3 else "entity"
        vector = embedding_vector(text) if vectors else None
        items.append(
            NewItem(kind, text, scope=str(n % 97), metadata={"run_id": f"r{n % 50}"}, vector=vector)
        )
    return items


async def timed(awaitable: Awaitable[Any]) -> float:
    """Seconds `awaitable` takes."""
    start = time.perf_counter()
    await awaitable
    return time.perf_counter() - start


async def memory_rounds(
    memory: RunMemory, rng: random.Random, rounds: int, vectors: bool
) -> tuple[list[float], list[float]]:
    """`rounds` times what a task does: recall before it, save 3 items after it; latencies."""
    model = "sim" if vectors else None
    recalls, saves = [], []
    for _ in range(rounds):
        query = sentence(rng, 8)
        vector = embedding_vector(query) if vectors else None
        new = memory_items(rng, 3, vectors)
        recalls.append(await timed(memory.recall(query, vector, model)))
        saves.append(await timed(memory.save(new, model)))
    return recalls, saves


async def rounds_on_loop(store: FtsStore, rng: random.Random, rounds: int) -> list[float]:
    """The same recalls run on the loop itself (blocking), for comparison."""
    plans = [
        SearchPlan("short_term", 3, ["bench"], None),
        SearchPlan("long_term", 3, None, "bench"),
        SearchPlan("entity", 3, None, None),
    ]
    recalls = []
    for _ in range(rounds):
        query = sentence(rng, 8)
        start = time.perf_counter()
        search_all(store, plans, query, None, None)
        recalls.append(time.perf_counter() - start)
        store.add(memory_items(rng, 3, False))
        await asyncio.sleep(0)  # lets the lag meter see the loop between rounds
    return recalls


async def bench_memory(folder: Path, items: int) -> None:
    """Part 1."""
    rng = random.Random(7)
    print(f"\n## Memory: {items:,} stored items, {ROUNDS} task rounds (recall = 3 searches)")
    for vectors in (False, True):
        path = folder / f"memory-{vectors}.sqlite3"
        async with open_store(path) as handle:
            filled = memory_items(rng, items, vectors)
            start = time.perf_counter()
            await handle.call(FtsStore.add, filled, "sim" if vectors else None)
            fill = time.perf_counter() - start
            memory = RunMemory(handle, "bench", MemoryConfig())
            async with LagMeter() as lag:
                recalls, saves = await memory_rounds(memory, rng, ROUNDS, vectors)
        label = "BM25 + 64-dim vectors" if vectors else "BM25 only"
        print(
            f"- {label}: filled in {fill:.2f} s; recall {ms(recalls)}; save {ms(saves)}; "
            f"loop lag {lag.summary()}"
        )
    store = FtsStore(folder / "memory-False.sqlite3")
    try:
        async with LagMeter() as lag:
            recalls = await rounds_on_loop(store, rng, ROUNDS)
    finally:
        store.close()
    print(
        f"- for scale, the same recalls ON the loop (what the engine never does): "
        f"{ms(recalls)}; loop lag {lag.summary()}"
    )


def write_corpus(path: Path, megabytes: float, rng: random.Random) -> None:
    """About `megabytes` MB of made-up paragraphs."""
    target = int(megabytes * 1_000_000)
    with path.open("w", encoding="utf-8") as out:
        written = 0
        while written < target:
            paragraph = " ".join(sentence(rng) for _ in range(6)) + "\n\n"
            written += out.write(paragraph)


async def bench_knowledge(folder: Path, megabytes: float) -> None:
    """Part 2."""
    rng = random.Random(11)
    corpus = folder / "corpus.txt"
    write_corpus(corpus, megabytes, rng)
    source = TextFileKnowledgeSource(file_paths=[corpus])
    print(f"\n## Knowledge: {corpus.stat().st_size / 1e6:.1f} MB text file, chunks 4,000/200")
    async with open_store(folder / "knowledge.sqlite3") as handle:
        async with LagMeter() as lag:
            start = time.perf_counter()
            keys, plans = await handle.call(plan_index, [source], "")
            for plan in plans:
                await handle.call(apply_plan, plan, plan_items(plan, None), None)
            indexed = time.perf_counter() - start
            again = await timed(handle.call(plan_index, [source], ""))
        chunks = sum(plan.state.chunks for plan in plans)
        print(
            f"- index: {indexed:.2f} s for {chunks:,} chunks ({megabytes / indexed:.1f} MB/s); "
            f"loop lag meanwhile {lag.summary()}; check when unchanged {again * 1000:.1f} ms"
        )
        latencies = []
        async with LagMeter() as lag:
            for _ in range(ROUNDS):
                query = sentence(rng, 10)
                latencies.append(
                    await timed(
                        handle.call(FtsStore.search, "knowledge", query, limit=3, scopes=keys)
                    )
                )
        print(f"- retrieval (top 3): {ms(latencies)}; loop lag {lag.summary()}")


FACTS = [
    (
        "The lighthouse on Ouessant is kept by Corentin Abgrall.",
        "Who keeps the Ouessant lighthouse?",
        "Corentin Abgrall",
    ),
    (
        "Invoices from the Brest warehouse are paid within 45 days.",
        "How many days until Brest warehouse invoices are paid?",
        "45 days",
    ),
    (
        "The boiler in building C was replaced in March 2021.",
        "When was the building C boiler replaced?",
        "March 2021",
    ),
    (
        "Pump P-7 trips its alarm above 8 bar of pressure.",
        "At what pressure does pump P-7 raise its alarm?",
        "8 bar",
    ),
    (
        "Refunds for damaged shipments need a photo within 3 days.",
        "What do customers need for a damaged shipment refund?",
        "photo within 3 days",
    ),
    (
        "The night shift on ward 4 starts at 21:30.",
        "What time does the ward 4 night shift begin?",
        "21:30",
    ),
    ("Trial NX-12 enrols patients aged 40 to 65.", "Which ages can join trial NX-12?", "40 to 65"),
    (
        "The Nantes bridge closes for maintenance every first Monday.",
        "When is the Nantes bridge shut for maintenance?",
        "first Monday",
    ),
    (
        "Tenant deposits equal two months of rent under clause 9.",
        "How large is a tenant deposit according to clause 9?",
        "two months of rent",
    ),
    (
        "The quarterly budget report is owned by Nadia Riou.",
        "Who owns the quarterly budget report?",
        "Nadia Riou",
    ),
    (
        "Sensor S-3 is calibrated with a 0.5 percent tolerance.",
        "What tolerance is sensor S-3 calibrated to?",
        "0.5 percent",
    ),
    (
        "Protein samples are stored at minus 80 degrees in lab 2.",
        "At what temperature does lab 2 store protein samples?",
        "minus 80 degrees",
    ),
    (
        "The school exam grades are published on 14 July.",
        "On which date are exam grades published?",
        "14 July",
    ),
    (
        "High tide at Saint-Malo can reach 13 metres.",
        "How high can the tide get at Saint-Malo?",
        "13 metres",
    ),
    (
        "The Lisbon office handles customer claims in Portuguese and Spanish.",
        "Which languages does the Lisbon office use for claims?",
        "Portuguese and Spanish",
    ),
    (
        "Valve V-21 must be inspected every 500 running hours.",
        "How often is valve V-21 inspected?",
        "500 running hours",
    ),
    (
        "The river market opens at 6 in the morning on Saturdays.",
        "When does the river market open on Saturdays?",
        "6 in the morning",
    ),
    (
        "Contract renewals need approval from the legal team by 1 October.",
        "By when must the legal team approve contract renewals?",
        "1 October",
    ),
    (
        "The garden roof of the Oslo office holds 40 beehives.",
        "How many beehives are on the Oslo office roof?",
        "40 beehives",
    ),
    (
        "Dose changes on ward 6 are signed by two nurses.",
        "Who signs dose changes on ward 6?",
        "two nurses",
    ),
]


async def bench_quality(folder: Path) -> None:
    """Part 3."""
    rng = random.Random(5)
    paragraphs = [" ".join(sentence(rng, 12) for _ in range(3)) for _ in range(400)]
    for fact, _, _ in FACTS:
        paragraphs.insert(
            rng.randrange(len(paragraphs)), f"{sentence(rng, 10)} {fact} {sentence(rng, 10)}"
        )
    items = [NewItem("knowledge", text, vector=embedding_vector(text)) for text in paragraphs]
    print(f"\n## Retrieval quality: {len(FACTS)} questions, {len(paragraphs)} paragraphs")
    async with open_store(folder / "quality.sqlite3") as handle:
        await handle.call(FtsStore.add, items, "sim")
        for label, vectors in (("BM25 only", False), ("BM25 + bag-of-words vectors", True)):
            hits = 0
            for _, question, answer in FACTS:
                found = await handle.call(
                    FtsStore.search,
                    "knowledge",
                    question,
                    limit=3,
                    query_vector=embedding_vector(question) if vectors else None,
                    vector_model="sim" if vectors else None,
                )
                hits += any(answer in item.text for item in found)
            print(f"- {label}: hit@3 {hits}/{len(FACTS)}")


async def main(items: int, megabytes: float) -> None:
    """All three parts."""
    with tempfile.TemporaryDirectory(prefix="crewdesk-bench-") as folder:
        await bench_memory(Path(folder), items)
        await bench_knowledge(Path(folder), megabytes)
        await bench_quality(Path(folder))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--megabytes", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(main(args.items, args.megabytes))
