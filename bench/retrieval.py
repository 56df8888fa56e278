"""Retrieval at 10,000 chunks: a hand-written BM25 (the one `widget.agent.knowledge` had, postings
scored in Python) against bm25s (precomputed scores in a sparse matrix, numpy), side by side in
one run: index build time and query p50. bm25s won, and `KnowledgeIndex` now uses it.

Both get the same chunks and the same terms (Snowball stems, stopwords dropped), so the
comparison is of the ranking engines; the time to turn text into terms is shown on its own row.
The corpus is generated from a fixed seed: real English words from the demo knowledge, mixed with
a Zipf-distributed vocabulary of made-up words, about 120 words a chunk.
`python -m bench.retrieval` prints the rows; `make bench` adds them to its table.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bench.report import Row
from bench.stats import median
from widget.agent.demo import DEMO_DOCUMENTS
from widget.agent.knowledge import Chunk, KnowledgeIndex
from widget.agent.language import analyzer

CHUNKS = 10_000
QUERIES = 300
_SYLLABLES = "ka lo mi ne ru sa ti vo ze pa re di fo gu ha ji ku le mo nu".split()  # noqa: SIM905


def corpus(chunks: int = CHUNKS, seed: int = 15) -> tuple[list[Chunk], list[str]]:
    rng = random.Random(seed)
    real = sorted({w.lower() for _, text in DEMO_DOCUMENTS for w in text.split() if w.isalpha()})
    made_up = sorted(
        {"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(30_000)}
    )
    vocabulary = real + made_up
    weights = [1 / (rank + 1) ** 1.07 for rank in range(len(vocabulary))]
    rng.shuffle(vocabulary)
    texts = [
        " ".join(rng.choices(vocabulary, weights, k=rng.randint(80, 160))) for _ in range(chunks)
    ]
    queries = [
        " ".join(rng.choices(vocabulary, weights, k=rng.randint(3, 6))) for _ in range(QUERIES)
    ]
    # Declared English: the engines are compared, not language detection.
    return [Chunk(f"doc{n // 10}.md", text, "en") for n, text in enumerate(texts)], queries


@dataclass(frozen=True, slots=True)
class Timings:
    tokenize_ms: float
    build_ms: float
    query_ms: list[float]


def _time(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


class HandWrittenBM25:
    """The BM25 `KnowledgeIndex` used before bm25s: postings lists scored in a Python loop."""

    def __init__(self, tokens: list[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.postings: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths = [len(terms) for terms in tokens]
        for position, terms in enumerate(tokens):
            for term, frequency in Counter(terms).items():
                self.postings[term].append((position, frequency))
        total = len(tokens)
        self.average = sum(self.lengths) / total
        self.idf = {
            t: math.log(1 + (total - len(p) + 0.5) / (len(p) + 0.5))
            for t, p in self.postings.items()
        }

    def ranked(self, terms: list[str], k: int) -> list[tuple[int, float]]:
        scores: dict[int, float] = {}
        k1, b = self.k1, self.b
        for term in sorted(set(terms)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for position, frequency in self.postings[term]:
                norm = k1 * (1 - b + b * self.lengths[position] / self.average)
                gain = idf * frequency * (k1 + 1) / (frequency + norm)
                scores[position] = scores.get(position, 0.0) + gain
        return heapq.nlargest(k, scores.items(), key=lambda item: (item[1], -item[0]))


def _terms(chunks: list[Chunk]) -> tuple[list[list[str]], float]:
    english = analyzer("en")
    tokens: list[list[str]] = []
    spent = _time(lambda: tokens.extend(english.terms(c.text) for c in chunks))
    return tokens, spent


def hand_written(chunks: list[Chunk], queries: list[str]) -> Timings:
    tokens, tokenize = _terms(chunks)
    english = analyzer("en")
    built: list[HandWrittenBM25] = []
    build = _time(lambda: built.append(HandWrittenBM25(tokens)))
    index = built[0]
    query_ms = [_time(lambda q=q: index.ranked(english.terms(q), 3)) for q in queries]  # type: ignore[misc]
    return Timings(tokenize, tokenize + build, query_ms)


def with_bm25s(chunks: list[Chunk], queries: list[str]) -> Timings:
    import bm25s  # type: ignore[import-untyped]

    tokens, tokenize = _terms(chunks)
    english = analyzer("en")
    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    build = _time(lambda: retriever.index(tokens, show_progress=False))
    vocabulary = set(retriever.vocab_dict)

    def search(query: str) -> list[tuple[int, float]]:
        terms = [t for t in english.terms(query) if t in vocabulary]
        if not terms:
            return []
        scores = retriever.get_scores(terms)
        best = np.argpartition(-scores, 3)[:3]
        return [(int(i), float(scores[i])) for i in best[np.argsort(-scores[best])] if scores[i]]

    query_ms = [_time(lambda q=q: search(q)) for q in queries]  # type: ignore[misc]
    return Timings(tokenize, tokenize + build, query_ms)


def product(chunks: list[Chunk], queries: list[str]) -> Timings:
    """`KnowledgeIndex` as the agent uses it: bm25s, plus near forms and per-language queries."""
    built: list[KnowledgeIndex] = []
    build = _time(lambda: built.append(KnowledgeIndex(chunks)))
    query_ms = [_time(lambda q=q: built[0].ranked(q, 3)) for q in queries]  # type: ignore[misc]
    return Timings(0.0, build, query_ms)


def measure(runs: int = 3) -> tuple[list[Timings], list[Timings], list[Timings]]:
    chunks, queries = corpus()
    ours: list[Timings] = []
    theirs: list[Timings] = []
    shipped: list[Timings] = []
    for run in range(runs):
        # Alternate which goes first, so that neither always meets a warmer machine.
        if run % 2 == 0:
            ours.append(hand_written(chunks, queries))
            theirs.append(with_bm25s(chunks, queries))
        else:
            theirs.append(with_bm25s(chunks, queries))
            ours.append(hand_written(chunks, queries))
        shipped.append(product(chunks, queries))
    return ours, theirs, shipped


def rows(ours: list[Timings], theirs: list[Timings], shipped: list[Timings]) -> list[Row]:
    build, build_floor = median([t.build_ms for t in ours]), median([t.build_ms for t in theirs])
    tokenize = median([t.tokenize_ms for t in theirs])
    query = median([q for t in ours for q in t.query_ms])
    query_floor = median([q for t in theirs for q in t.query_ms])
    return [
        Row(
            "retrieval",
            f"index build, {CHUNKS:,} chunks (ms): hand-written | bm25s",
            build,
            build_floor,
            build / build_floor,
            "",
            None,
            note=f"terms alone {tokenize:,.0f} ms of both",
        ),
        Row(
            "retrieval",
            "query p50 (ms): hand-written | bm25s",
            query,
            query_floor,
            query / query_floor,
            "",
            None,
            note=f"{QUERIES} queries of 3-6 words, top 3",
        ),
        Row(
            "retrieval",
            "KnowledgeIndex (bm25s + near forms): build | query p50 (ms)",
            median([t.build_ms for t in shipped]),
            median([q for t in shipped for q in t.query_ms]),
            None,
            "",
            None,
            note="as the agent uses it; build includes terms",
        ),
    ]


def main() -> int:
    from bench.report import render_table

    print(render_table(rows(*measure())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
