"""An agent's knowledge: training documents split into chunks, ranked with BM25, in any language.

The server stores `Chunk`s and builds a `KnowledgeIndex` from them; nothing here touches a database.
BM25 is bm25s's (scores precomputed in a sparse matrix): at 10,000 chunks it answers a query about
75 times faster than the postings loop this module had (`make bench`, bench/RESULTS.md).
Each chunk is searched in its document's language (Snowball stems, that language's stopwords); a
question is stemmed the same way for each language the knowledge holds, so a German question meets
German documents whatever else the knowledge holds. Text extraction lives in `widget.agent.formats`.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import bm25s  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

from widget.agent.formats import (
    DEFAULT_LIMITS,
    MAX_DOCUMENT_BYTES,
    SUPPORTED_EXTENSIONS,
    Limits,
    UnusableDocument,
    extract,
    extract_text,
)
from widget.agent.language import (
    COMPOUNDING_LANGUAGES,
    DEFAULT_LANGUAGE,
    analyzer,
    main_language,
    normalize_language,
    text_language,
)

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "STOPWORDS",
    "SUPPORTED_EXTENSIONS",
    "Chunk",
    "KnowledgeIndex",
    "Query",
    "UnusableDocument",
    "chunk_document",
    "extract_text",
    "markdown_blocks",
    "split_document",
    "stem",
    "tokenize",
]

DEFAULT_MIN_WORDS = 80
DEFAULT_MAX_WORDS = 200


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of one document. `text` is Markdown; it opens with the headings it sits under.

    `language` is the document's ISO 639-1 code (None: detected when the index is built); `url` is
    set for a web page, `title` when the document has one (an HTML `<title>`)."""

    document: str
    text: str
    language: str | None = None
    url: str | None = None
    title: str | None = None


# --- Splitting text into chunks ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Block:
    text: str
    heading_level: int = 0  # 0 for anything that is not a heading

    @property
    def words(self) -> int:
        return len(self.text.split())


_ATX_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def markdown_blocks(text: str) -> Iterator[tuple[int, str]]:
    """(heading level, text) of each paragraph, heading and fenced code block, in order;
    the level is 0 for anything but a heading."""
    for block in _blocks(text):
        yield block.heading_level, block.text


def _blocks(text: str) -> Iterator[_Block]:
    """Paragraphs, headings and fenced code blocks, in document order."""
    paragraph: list[str] = []
    fence: list[str] | None = None
    fence_marker = ""

    def flush() -> Iterator[_Block]:
        if not paragraph:
            return
        lines = list(paragraph)
        paragraph.clear()
        # A Setext heading: one line underlined with === or ---.
        if len(lines) == 2 and re.fullmatch(r"\s*(=+|-{3,})\s*", lines[1]):
            yield _Block(lines[0].strip(), 1 if "=" in lines[1] else 2)
        else:
            yield _Block("\n".join(lines))

    for line in text.split("\n"):
        if fence is not None:
            fence.append(line)
            if line.strip().startswith(fence_marker):
                yield _Block("\n".join(fence))
                fence = None
            continue
        fence_start = _FENCE.match(line)
        if fence_start:
            yield from flush()
            fence, fence_marker = [line], fence_start.group(1)
            continue
        heading = _ATX_HEADING.match(line)
        if heading:
            yield from flush()
            if heading.group(2):
                yield _Block(heading.group(2), len(heading.group(1)))
        elif line.strip():
            paragraph.append(line)
        else:
            yield from flush()
    if fence is not None:
        yield _Block("\n".join(fence))
    yield from flush()


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def _split_long(block: _Block, max_words: int) -> list[_Block]:
    """A block over `max_words` cut at sentence (or, for code, line) ends, then at words."""
    separator = "\n" if block.text.lstrip().startswith(("```", "~~~")) else " "
    parts = block.text.split("\n") if separator == "\n" else _SENTENCE_END.split(block.text)
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for part in parts:
        words = part.split()
        while len(words) > max_words:  # a single run-on sentence: cut it at word boundaries
            if current:
                pieces.append(separator.join(current))
                current, count = [], 0
            pieces.append(" ".join(words[:max_words]))
            words = words[max_words:]
            part = " ".join(words)
        if count + len(words) > max_words and current:
            pieces.append(separator.join(current))
            current, count = [], 0
        current.append(part)
        count += len(words)
    if current:
        pieces.append(separator.join(current))
    return [_Block(piece) for piece in pieces if piece.strip()]


def split_document(
    name: str,
    text: str,
    *,
    min_words: int = DEFAULT_MIN_WORDS,
    max_words: int = DEFAULT_MAX_WORDS,
    language: str | None = None,
    url: str | None = None,
    title: str | None = None,
) -> list[Chunk]:
    """Chunks of about `min_words`..`max_words` words, cut at paragraph and heading boundaries.

    A heading starts a new chunk once the current one holds `min_words`; smaller sections share a
    chunk so that a chunk carries enough words to rank. Each chunk opens with the Markdown headings
    it sits under, so a passage about "Team plan" still says it is about pricing. Fenced code
    blocks are never cut unless they alone exceed `max_words`.
    """
    if not 0 < min_words <= max_words:
        raise ValueError(f"need 0 < min_words <= max_words, got {min_words} and {max_words}")
    chunks: list[Chunk] = []
    trail: list[tuple[int, str]] = []  # the headings above the current position
    header: list[str] = []  # the trail as it was when the current chunk began
    body: list[str] = []
    body_words = 0
    trailing_headings = 0  # headings at the end of `body`, with nothing under them yet

    def flush() -> None:
        nonlocal body_words, trailing_headings
        # A heading whose section moves to the next chunk goes with it (in that chunk's header).
        content = body[: len(body) - trailing_headings]
        if content:
            chunks.append(Chunk(name, "\n\n".join(header + content), language, url, title))
        body.clear()
        body_words = 0
        trailing_headings = 0

    for block in _blocks(text):
        if block.heading_level:
            if body_words >= min_words:
                flush()
            trail[:] = [(level, title) for level, title in trail if level < block.heading_level]
            trail.append((block.heading_level, block.text))
            if body:
                body.append("#" * block.heading_level + " " + block.text)
                trailing_headings += 1
            continue
        for piece in _split_long(block, max_words) if block.words > max_words else [block]:
            if body and body_words + piece.words > max_words:
                flush()
            if not body:
                header[:] = ["#" * level + " " + title for level, title in trail]
            body.append(piece.text)
            body_words += piece.words
            trailing_headings = 0
    flush()
    return chunks


def chunk_document(
    name: str,
    content: str | bytes,
    *,
    min_words: int = DEFAULT_MIN_WORDS,
    max_words: int = DEFAULT_MAX_WORDS,
    language: str | None = None,
    url: str | None = None,
    media_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Chunk]:
    """A training document as chunks to store: its text extracted, its language declared (here
    or by the document itself, as an HTML page's `lang`) or else detected, then split. A document
    too short to tell gets None: the index gives it the language of the rest."""
    extracted = extract(name, content, media_type=media_type, url=url, limits=limits)
    resolved = normalize_language(language or extracted.language) or text_language(extracted.text)
    return split_document(
        name,
        extracted.text,
        min_words=min_words,
        max_words=max_words,
        language=resolved,
        url=url,
        title=extracted.title,
    )


# --- Terms ---------------------------------------------------------------------------------------

STOPWORDS = analyzer(DEFAULT_LANGUAGE).stopwords


def stem(word: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The Snowball stem of one lowercased word ("integrations" -> "integr")."""
    return analyzer(language).stem(word)


def tokenize(text: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """Lowercased, stemmed words of two or more characters, stopwords left out."""
    return analyzer(language).terms(text)


# --- Ranking -------------------------------------------------------------------------------------

# A near form (a typo, "versand" for "versend", a part of a compound) counts this much of a match.
_NEAR_MATCH = 0.8


@dataclass(frozen=True, slots=True)
class _Group:
    terms: frozenset[str]  # index terms that match this query word
    weight: float  # its IDF: how much of the question it carries
    exact: frozenset[str]  # those of `terms` that are the word itself, not a near form


@dataclass(frozen=True, slots=True)
class Query:
    """A question as the index sees it in one language: one group of terms per word."""

    language: str
    groups: tuple[_Group, ...]

    @property
    def total(self) -> float:
        return math.fsum(group.weight for group in self.groups)

    def weight_in(self, terms: set[str] | frozenset[str]) -> float:
        """The summed weight of the question's words that `terms` (of a text) hold."""
        return math.fsum(group.weight for group in self.groups if group.terms & terms)

    def matched(self, terms: set[str] | frozenset[str]) -> list[frozenset[str]]:
        """The term groups of the question's words that `terms` hold."""
        return [group.terms for group in self.groups if group.terms & terms]

    def coverage(self, terms: set[str] | frozenset[str]) -> float:
        """How much of the question's weight (0..1) `terms` hold."""
        total = self.total
        return self.weight_in(terms) / total if total else 0.0


def _chunk_languages(chunks: Sequence[Chunk]) -> list[str]:
    """Each chunk's language: declared, else detected once per document, else the main one."""
    declared: dict[str, str] = {}
    samples: defaultdict[str, list[str]] = defaultdict(list)
    for chunk in chunks:
        language = normalize_language(chunk.language)
        if language is not None:
            declared.setdefault(chunk.document, language)
        elif sum(len(s) for s in samples[chunk.document]) < 6000:
            samples[chunk.document].append(chunk.text)
    detected: dict[str, str | None] = {}
    for document, texts in samples.items():
        if document in declared:
            continue
        # A few words say too little: such documents take the language of the rest.
        detected[document] = text_language("\n\n".join(texts))
    known = [lang for lang in (*declared.values(), *detected.values()) if lang]
    fallback = main_language(known)
    return [
        normalize_language(chunk.language)
        or declared.get(chunk.document)
        or detected.get(chunk.document)
        or fallback
        for chunk in chunks
    ]


def _within_one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns `a` into `b`."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (
            a[i + 2 :] == b[i + 2 :] and a[i : i + 2] == b[i : i + 2][::-1]
        )
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]


class _Vocabulary:
    """One language's terms, for finding the near forms of a word the index does not hold."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.sorted = sorted(terms)
        self._set = frozenset(self.sorted)
        self._reversed = sorted(term[::-1] for term in self.sorted)
        self._deletions: dict[str, list[str]] | None = None

    def _deletion_map(self) -> dict[str, list[str]]:
        if self._deletions is None:
            deletions: defaultdict[str, list[str]] = defaultdict(list)
            for term in self.sorted:
                if len(term) >= 4 and not term.isdigit():
                    deletions[term].append(term)
                    for i in range(1, len(term)):
                        deletions[term[:i] + term[i + 1 :]].append(term)
            self._deletions = dict(deletions)
        return self._deletions

    def compounds(self, word: str) -> frozenset[str]:
        """Known terms that hold `word` as a part ("ruckgab" in "ruckgaberecht")."""
        return frozenset(self._compounds_with(word)) - {word} if len(word) >= 4 else frozenset()

    def near(self, word: str, compounding: bool) -> frozenset[str]:
        """Known terms close to a word the index does not hold: one edit away (a typo,
        "versand" for "versend"), the word less an ending the stemmer left ("slower"), and in
        compounding languages the compounds holding it and the parts it is made of."""
        found: set[str] = set()
        for cut in range(1, 4):
            if len(word) - cut >= 4 and word[:-cut] in self._set:
                found.add(word[:-cut])
                break
        if len(word) >= 5 and not word.isdigit():
            deletions = self._deletion_map()
            keys = {word} | {word[:i] + word[i + 1 :] for i in range(1, len(word))}
            for key in keys:
                for term in deletions.get(key, ()):
                    # The first letter is rarely the typo, and keeps unrelated words apart.
                    if term[0] == word[0] and _within_one_edit(word, term):
                        found.add(term)
        if compounding and len(word) >= 4:
            found.update(self._compounds_with(word))
            found.update(self._parts_of(word))
        found.discard(word)
        return frozenset(found)

    def _compounds_with(self, word: str) -> Iterator[str]:
        """Terms that begin ("versand" in "versandkost") or end with `word`."""
        if len(word) >= 5:
            start = bisect.bisect_left(self.sorted, word)
            for term in self.sorted[start : start + 50]:
                if not term.startswith(word):
                    break
                yield term
        backwards = word[::-1]
        start = bisect.bisect_left(self._reversed, backwards)
        for term in self._reversed[start : start + 50]:
            if not term.startswith(backwards):
                break
            yield term[::-1]

    def _parts_of(self, word: str) -> Iterator[str]:
        """Terms that `word` begins or ends with, when they are a real part of it."""
        for cut in range(4, len(word) - 3):
            head, tail = word[:cut], word[cut:]
            if head in self._set:
                yield head
            if tail in self._set:
                yield tail
            # A linking "s" ("Zahlung-s-art"): the head without it.
            if head.endswith("s") and head[:-1] in self._set and len(head) > 5:
                yield head[:-1]


class _Retriever:
    """bm25s over the chunks of one language: a sparse matrix of precomputed BM25 scores."""

    def __init__(self, positions: list[int], terms: list[list[str]], k1: float, b: float) -> None:
        self.positions = np.asarray(positions, dtype=np.int64)
        self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        self._bm25.index(terms, show_progress=False)

    def scores(self, term: str) -> npt.NDArray[np.float32]:
        """Each chunk's BM25 score for one term the language's vocabulary holds."""
        result: npt.NDArray[np.float32] = self._bm25.get_scores([term])
        return result


class KnowledgeIndex:
    """Okapi BM25 over chunks, each in its own language (bm25s). Immutable once built."""

    def __init__(self, chunks: Iterable[Chunk], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.chunks: tuple[Chunk, ...] = tuple(chunks)
        self.chunk_languages: tuple[str, ...] = tuple(_chunk_languages(self.chunks))
        self.languages: tuple[str, ...] = tuple(dict.fromkeys(self.chunk_languages))
        self.main_language = main_language(list(self.chunk_languages))
        frequencies: dict[str, Counter[str]] = {lang: Counter() for lang in self.languages}
        by_language: dict[str, tuple[list[int], list[list[str]]]] = {
            lang: ([], []) for lang in self.languages
        }
        for position, (chunk, language) in enumerate(
            zip(self.chunks, self.chunk_languages, strict=True)
        ):
            terms = analyzer(language).terms(chunk.text)
            frequencies[language].update(set(terms))
            positions, texts = by_language[language]
            positions.append(position)
            texts.append(terms)
        self._retrievers = {
            language: _Retriever(positions, texts, k1, b)
            for language, (positions, texts) in by_language.items()
            if frequencies[language]
        }
        self._idf = {
            language: {term: self._idf_for(df) for term, df in counts.items()}
            for language, counts in frequencies.items()
        }
        # A word no chunk holds weighs a little more than the rarest word that does: in "can I
        # pay with bitcoin?" the unknown word is the point, so half a match is not a match; yet
        # one unknown word among several known ones does not sink a well-covered query.
        self._unseen_idf = self._idf_for(0.5)
        self._vocabularies: dict[str, _Vocabulary] = {}

    def __len__(self) -> int:
        return len(self.chunks)

    def _idf_for(self, document_frequency: float) -> float:
        total = len(self.chunks)
        return math.log(1 + (total - document_frequency + 0.5) / (document_frequency + 0.5))

    def idf(self, term: str, language: str | None = None) -> float:
        """The weight of one (already tokenized) term; terms no chunk holds weigh the most."""
        return self._idf.get(language or self.main_language, {}).get(term, self._unseen_idf)

    def language_of(self, position: int) -> str:
        return self.chunk_languages[position]

    def terms_of(self, text: str, language: str) -> set[str]:
        return set(analyzer(language).terms(text))

    def _vocabulary(self, language: str) -> _Vocabulary:
        vocabulary = self._vocabularies.get(language)
        if vocabulary is None:
            vocabulary = _Vocabulary(self._idf.get(language, {}))
            self._vocabularies[language] = vocabulary
        return vocabulary

    def query(
        self, text: str, language: str | None = None, *, asked_in: str | None = None
    ) -> Query:
        """`text` as a query against the chunks in `language` (default: the main one).

        `asked_in` is the visitor's language: its stopwords are dropped too, and near forms
        (typos, other forms of a word, compound parts) are looked for only in that language."""
        language = language or self.main_language
        idf = self._idf.get(language, {})
        words = analyzer(language).words(text)
        if asked_in is not None and asked_in != language:
            foreign = analyzer(asked_in).stopwords
            words = [word for word in words if word not in foreign]
        near_forms = asked_in is None or asked_in == language
        groups: list[_Group] = []
        seen: set[str] = set()
        # Sorted, so that sums come out the same in every process (set order varies with the
        # hash seed, and float addition is not associative): equal questions rank equally.
        for term in sorted({analyzer(language).stem(word) for word in words}):
            if term in seen:
                continue
            seen.add(term)
            exact = frozenset({term})
            compounding = language in COMPOUNDING_LANGUAGES
            if term in idf:
                extra = (
                    self._vocabulary(language).compounds(term)
                    if near_forms and compounding
                    else frozenset()
                )
                groups.append(_Group(exact | extra, idf[term], exact))
                continue
            near = (
                self._vocabulary(language).near(term, compounding)
                if near_forms and idf
                else frozenset()
            )
            if near:
                groups.append(_Group(near, max(idf[t] for t in near), frozenset()))
            else:
                groups.append(_Group(exact, self._unseen_idf, exact))
        return Query(language, tuple(groups))

    def search(
        self, query: str, k: int = 3, *, language: str | None = None
    ) -> list[tuple[Chunk, float]]:
        """The `k` best chunks for `query` with their BM25 scores, best first; only scores > 0."""
        return [
            (self.chunks[position], score)
            for position, score in self.ranked(query, k, language=language)
        ]

    def queries(self, query: str, language: str | None = None) -> dict[str, Query]:
        """`query` as seen by each language of the knowledge."""
        return {lang: self.query(query, lang, asked_in=language) for lang in self.languages}

    def ranked(
        self, query: str, k: int = 3, *, language: str | None = None
    ) -> list[tuple[int, float]]:
        """Like `search`, with each chunk's position in `chunks` instead of the chunk."""
        found: list[tuple[int, float]] = []
        for lang, parsed in self.queries(query, language).items():
            retriever = self._retrievers.get(lang)
            if retriever is not None:
                found += self._best(retriever, parsed, k)
        # Ties go to the earlier chunk: documents in the order given.
        found.sort(key=lambda item: (-item[1], item[0]))
        return found[:k]

    def _best(self, retriever: _Retriever, query: Query, k: int) -> list[tuple[int, float]]:
        idf = self._idf[query.language]
        total: npt.NDArray[np.float32] | None = None
        for group in query.groups:
            # A word's score is that of its best form in the chunk: near forms count a little less.
            best: npt.NDArray[np.float32] | None = None
            for term in sorted(group.terms):
                if term not in idf:
                    continue
                scores = retriever.scores(term)
                if term not in group.exact:
                    scores = scores * np.float32(_NEAR_MATCH)
                best = scores if best is None else np.maximum(best, scores)
            if best is not None:
                total = best if total is None else total + best
        if total is None:
            return []
        count = min(k, len(total))
        top = np.argpartition(-total, count - 1)[:count]
        return [(int(retriever.positions[i]), float(total[i])) for i in top if total[i] > 0]

    def coverage(self, query: str, text: str, language: str | None = None) -> float:
        """How much of the query's weight (0..1, by IDF) `text` (in `language`) contains.

        A high BM25 score can come from one common word; coverage tells whether a passage
        is about what was asked ("Do you sell pizza?" vs a passage that only says "sell").
        """
        language = language or self.main_language
        return self.query(query, language).coverage(self.terms_of(text, language))
