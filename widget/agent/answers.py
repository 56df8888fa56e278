"""Answers taken word for word from an agent's knowledge: the passages that match a question.

Nothing here writes new sentences: an answer is one or two paragraphs (or sentences) of the
best-ranked chunks, turned from Markdown into plain text, with the documents they came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from widget.agent.knowledge import Chunk, KnowledgeIndex, Query, markdown_blocks, tokenize

# The share of a question's weight a chunk must hold to count as being about the question.
MIN_COVERAGE = 0.5
# A paragraph longer than this is answered sentence by sentence.
_LONG_PARAGRAPH_WORDS = 90
# A second passage joins the answer only if it is nearly as relevant as the first.
_SECOND_PASSAGE_SHARE = 0.6
_MAX_ANSWER_WORDS = 130


@dataclass(frozen=True, slots=True)
class Source:
    """A document an answer drew on: its name, and for a web page its URL (and title)."""

    document: str
    url: str | None = None
    title: str | None = None

    @property
    def label(self) -> str:
        """What to show a visitor: the page title, else the document name."""
        return self.title or self.document

    @classmethod
    def of(cls, chunk: Chunk) -> Source:
        return cls(chunk.document, chunk.url, chunk.title)


def sources_of(chunks: Iterable[Chunk]) -> list[Source]:
    """One `Source` per document, in the order first drawn on."""
    return list(dict.fromkeys(Source.of(chunk) for chunk in chunks))


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    sources: tuple[Source, ...]


def relevant_hits(
    index: KnowledgeIndex,
    query: str,
    *,
    k: int = 3,
    min_coverage: float = MIN_COVERAGE,
    language: str | None = None,
) -> list[tuple[Chunk, float]]:
    """The best BM25 hits that also hold at least `min_coverage` of the query's weight.

    `language` is the visitor's, when known (see `KnowledgeIndex.query`)."""
    queries = index.queries(query, language)
    return [
        (index.chunks[position], score)
        for position, score in _relevant(index, query, queries, k, min_coverage, language)
    ]


def _relevant(
    index: KnowledgeIndex,
    query: str,
    queries: dict[str, Query],
    k: int,
    min_coverage: float,
    language: str | None,
) -> list[tuple[int, float]]:
    hits = []
    for position, score in index.ranked(query, k, language=language):
        chunk_language = index.language_of(position)
        terms = index.terms_of(index.chunks[position].text, chunk_language)
        if queries[chunk_language].coverage(terms) >= min_coverage:
            hits.append((position, score))
    return hits


@dataclass(frozen=True, slots=True)
class _Passage:
    chunk_position: int  # the chunk's place in the index: documents in the order given
    position: int  # the passage's place in its chunk
    heading: str  # the heading right above the passage
    ancestors: str  # the headings above that one
    text: str
    chunk: Chunk


def _passages(chunk: Chunk, chunk_position: int) -> list[_Passage]:
    """Paragraphs (long ones as sentences) with the headings they sit under."""
    passages: list[_Passage] = []
    trail: dict[int, str] = {}
    for level, block in markdown_blocks(chunk.text):
        if level:
            trail = {lvl: title for lvl, title in trail.items() if lvl < level}
            trail[level] = block
            continue
        titles = [trail[level] for level in sorted(trail)]
        is_list_or_code = bool(re.match(r"\s*(?:[-*+]\s|\d+[.)]\s|```|~~~)", block))
        if not is_list_or_code and len(block.split()) > _LONG_PARAGRAPH_WORDS:
            pieces = re.split(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ`\"(¿¡])", block)
        else:
            pieces = [block]
        for piece in pieces:
            passages.append(
                _Passage(
                    chunk_position=chunk_position,
                    position=len(passages),
                    heading=titles[-1] if titles else "",
                    ancestors=" ".join(titles[:-1]),
                    text=piece.strip(),
                    chunk=chunk,
                )
            )
    return passages


def answer_from(index: KnowledgeIndex, query: str, language: str | None = None) -> Answer | None:
    """The passages of the knowledge that answer `query`, or `None` when nothing is about it.

    `language` is the visitor's, when known."""
    queries = index.queries(query, language)
    hits = _relevant(index, query, queries, 3, MIN_COVERAGE, language)
    if not hits:
        return None
    subject = _definition_subject(query)

    def score(passage: _Passage) -> float:
        # Words of the question in the passage count fully; in the heading right above it (often
        # the question itself, "Does it slow my site?") nearly as much again; in the headings
        # further up, which only say what the whole section is about, a little.
        chunk_language = index.language_of(passage.chunk_position)
        parsed = queries[chunk_language]

        def weight_in(text: str) -> float:
            return parsed.weight_in(index.terms_of(text, chunk_language)) if text else 0.0

        weight = weight_in(passage.text)
        weight += 0.8 * weight_in(passage.heading)
        weight += 0.3 * weight_in(passage.ancestors)
        if subject and _defines(passage.text, subject):
            weight *= 1.5  # "What is Parley?" is best answered by "Parley is ..."
        return weight

    chunk_scores = dict(hits)
    candidates = [
        passage
        for position, _ in hits
        for passage in _passages(index.chunks[position], position)
        if passage.text
    ]
    # Ties go to the better-ranked chunk, then to the earlier passage in it.
    scored = sorted(
        ((score(p), p) for p in candidates),
        key=lambda item: (
            -round(item[0], 9),
            -chunk_scores[item[1].chunk_position],
            item[1].position,
        ),
    )
    best_score, best = scored[0]
    if best_score <= 0:
        return None
    chosen = _with_announced(candidates, best)
    if len(chosen) == 1:
        for other_score, other in scored[1:]:
            if other_score < _SECOND_PASSAGE_SHARE * best_score:
                break
            words = len(best.text.split()) + len(other.text.split())
            if other.chunk_position == best.chunk_position and words <= _MAX_ANSWER_WORDS:
                chosen += _with_announced(candidates, other)
                break
    chosen = sorted(set(chosen), key=lambda p: (p.chunk_position, p.position))
    text = "\n\n".join(to_plain_text(p.text) for p in chosen)
    sources = tuple(sources_of(p.chunk for p in chosen))
    return Answer(text=text, sources=sources)


def _with_announced(candidates: list[_Passage], passage: _Passage) -> list[_Passage]:
    """The passage, and the one after it when it announces it ("Paste this snippet:")."""
    follower = _next_in_chunk(candidates, passage)
    if passage.text.rstrip().endswith(":") and follower is not None:
        return [passage, follower]
    return [passage]


_DEFINITION_QUESTION = re.compile(
    r"^\s*(?:what|who)(?:'s|\s+is|\s+are)\s+(?:a\s+|an\s+|the\s+)?(?P<subject>[^?]{1,60})\??\s*$",
    re.IGNORECASE,
)


def _definition_subject(query: str) -> frozenset[str]:
    match = _DEFINITION_QUESTION.match(query)
    return frozenset(tokenize(match.group("subject"))) if match else frozenset()


def _defines(text: str, subject: frozenset[str]) -> bool:
    opening = re.split(r"\b(?:is|are)\b", " ".join(text.split()[:8]), maxsplit=1)
    return len(opening) == 2 and subject <= set(tokenize(opening[0]))


def _next_in_chunk(candidates: list[_Passage], passage: _Passage) -> _Passage | None:
    for other in candidates:
        if (
            other.chunk_position == passage.chunk_position
            and other.position == passage.position + 1
        ):
            return other
    return None


def to_plain_text(markdown: str) -> str:
    """Markdown as plain text: no emphasis markers, code fences or heading marks; links kept as
    "text (url)"."""
    lines: list[str] = []
    in_code = joinable = False
    for line in markdown.split("\n"):
        if re.match(r"\s*(```|~~~)", line):
            in_code = not in_code
            joinable = False
            continue
        line = re.sub(r"^#{1,6}\s+", "", line)
        line = re.sub(r"^(\s*)[*+]\s+", r"\1- ", line)
        starts_block = not line.strip() or re.match(r"\s*(-|\d+[.)])\s", line)
        # A soft-wrapped line continues its paragraph: the chat bubble wraps text itself.
        if joinable and not in_code and not starts_block:
            lines[-1] = f"{lines[-1]} {line.strip()}"
            continue
        lines.append(line)
        joinable = bool(line.strip()) and not in_code and not line.rstrip().endswith(":")
    text = "\n".join(lines)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"\1 (\2)", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = re.sub(r"`([^`\n]+)`", r"\1", text)
    return text.strip()
