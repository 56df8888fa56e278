"""An agent's knowledge: training documents turned into text, split into chunks, ranked with BM25.

The server stores `Chunk`s and builds a `KnowledgeIndex` from them; nothing here touches a database.
BM25 is written out in plain Python so the server needs no numeric library for a few hundred chunks.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import PurePosixPath

MAX_DOCUMENT_BYTES = 1_000_000
SUPPORTED_EXTENSIONS = (".txt", ".md", ".markdown", ".html", ".htm")

DEFAULT_MIN_WORDS = 80
DEFAULT_MAX_WORDS = 200


class UnusableDocument(ValueError):
    """A training document that cannot become knowledge; `reason` says why, naming the document."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of one document. `text` is Markdown; it opens with the headings it sits under."""

    document: str
    text: str


# --- Turning a document into text -------------------------------------------------------------


def extract_text(name: str, content: str | bytes) -> str:
    """The usable text of a training document, as Markdown-flavoured plain text.

    The format follows the name's extension: .txt (or none) is plain text, .md/.markdown is
    Markdown, .html/.htm is HTML with scripts, styles and tags removed (headings become `#` lines
    so that `split_document` keeps them as context). Raises `UnusableDocument` for an unsupported
    format, a document over `MAX_DOCUMENT_BYTES`, text that is not UTF-8, or no usable text.
    """
    extension = _extension(name)
    if extension and extension not in SUPPORTED_EXTENSIONS:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        raise UnusableDocument(
            f"document {name!r}: unsupported format {extension!r}; use one of {supported}"
        )
    size = len(content) if isinstance(content, bytes) else len(content.encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        raise UnusableDocument(
            f"document {name!r} is {size} bytes; the limit is {MAX_DOCUMENT_BYTES} bytes"
        )
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise UnusableDocument(f"document {name!r} is not UTF-8 text: {error}") from error
    if extension in (".html", ".htm"):
        text = _html_to_text(content)
    elif extension in (".md", ".markdown"):
        text = _FRONT_MATTER.sub("", _normalize_newlines(content), count=1)
    else:
        text = content
    text = _tidy(text)
    if not re.search(r"[^\W_]", text):
        raise UnusableDocument(f"document {name!r} has no usable text")
    return text


def _extension(name: str) -> str:
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    # "v1.2" or "notes. final" have no real extension: treat them as plain text.
    return suffix if re.fullmatch(r"\.[a-z][a-z0-9]{0,9}", suffix) else ""


_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _tidy(text: str) -> str:
    text = _CONTROL.sub("", _normalize_newlines(text)).replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_SKIPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "head", "nav", "iframe", "object", "canvas"}
)
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "form", "header", "hr", "main", "ol", "p", "section",
        "summary", "table", "tbody", "thead", "tr", "ul",
    }
)  # fmt: skip
_HEADING_TAGS = {f"h{level}": level for level in range(1, 7)}


_PRE_FENCE = "\x00pre\x00"  # marks <pre> bounds until they become ``` fences


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skipping: list[str] = []
        self.pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping or tag in _SKIPPED_TAGS:
            if tag in _SKIPPED_TAGS:
                self._skipping.append(tag)
            return
        if tag in _HEADING_TAGS:
            self.pieces.append("\n\n" + "#" * _HEADING_TAGS[tag] + " ")
        elif tag == "li":
            self.pieces.append("\n- ")
        elif tag == "br":
            self.pieces.append("\n")
        elif tag == "pre":
            # As a fenced code block: split_document keeps it whole, indentation and all.
            self.pre_depth += 1
            if self.pre_depth == 1:
                self.pieces.append(f"\n\n{_PRE_FENCE}\n")
        elif tag in ("td", "th"):
            self.pieces.append(" ")
        elif tag in _BLOCK_TAGS:
            self.pieces.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag == self._skipping[-1]:
                self._skipping.pop()
            return
        if tag in _HEADING_TAGS or tag in _BLOCK_TAGS:
            self.pieces.append("\n\n")
        elif tag == "pre" and self.pre_depth:
            self.pre_depth -= 1
            if self.pre_depth == 0:
                self.pieces.append(f"\n{_PRE_FENCE}\n\n")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        self.pieces.append(data if self.pre_depth else re.sub(r"\s+", " ", data))


def _html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    if parser.pre_depth:  # an unclosed <pre>
        parser.pieces.append(f"\n{_PRE_FENCE}\n")
    lines: list[str] = []
    in_pre = False
    for line in "".join(parser.pieces).split("\n"):
        if line == _PRE_FENCE:
            in_pre = not in_pre
            lines.append("```")
        elif in_pre:
            lines.append(line.rstrip())
        # A heading or list item whose text was all skipped leaves a bare marker behind.
        elif not re.fullmatch(r"#+|-", line.strip()):
            lines.append(line.strip())
    return "\n".join(lines)


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
            chunks.append(Chunk(name, "\n\n".join(header + content)))
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
) -> list[Chunk]:
    """`extract_text` then `split_document`: a training document as chunks to store."""
    text = extract_text(name, content)
    return split_document(name, text, min_words=min_words, max_words=max_words)


# --- Ranking -----------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


STOPWORDS = frozenset(
    _words("""
    a about above after again against all am an and any are aren as at be because been before
    being below between both but by can cannot could couldn did didn do does doesn doing don down
    during each few for from further had hadn has hasn have haven having he her here hers herself
    him himself his how i if in into is isn it its itself just let ll me might more most much must
    my myself no nor not now of off on once only or other ought our ours ourselves out over own
    re same shall she should shouldn so some such than that the their theirs them themselves then
    there these they this those through to too under until up ve very was wasn we were weren what
    when where which while who whom why will with won would wouldn you your yours yourself
    yourselves
    also anything get got hello hey hi hiya know like many maybe need please question tell thank
    thanks wonder wondering want wanted explain ok okay yes yeah sure something thing things use
    using way able via really
    """)
)

_TOKEN = re.compile(r"[^\W_]+")

# Light suffix stripping, first match wins: enough that "integrations", "integrated" and
# "integrate" meet, without a stemming library on the server.
_SUFFIXES = (
    ("ies", "y"),
    ("sses", "ss"),
    ("ations", "ate"),
    ("ation", "ate"),
    ("atures", ""),
    ("ature", ""),
    ("ings", ""),
    ("ing", ""),
    ("ied", "y"),
    ("ed", ""),
    ("ss", "ss"),
    ("us", "us"),
    ("is", "is"),
    ("s", ""),
)


_UNDOUBLED = frozenset("bdgmnprt")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light suffix stripping ("integrations" -> "integrat"); cached, as vocabularies are small."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix):
            stemmed = word[: -len(suffix)] + replacement
            verb_ending = suffix in ("ed", "ing", "ings")
            # "need", "embed", "nature" are not "ne" + "ed", "emb" + "ed", "n" + "ature".
            long_stem_only = verb_ending or suffix in ("ature", "atures")
            if suffix in ("ing", "ings"):
                # "paying" -> "pay", but not "thing" -> "th" or "string" -> "str".
                long_enough = len(stemmed) >= 3 and re.search(r"[aeiouy]", stemmed) is not None
            else:
                long_enough = len(stemmed) >= (4 if long_stem_only else 3)
            if long_enough:
                if verb_ending and stemmed[-1] == stemmed[-2] and stemmed[-1] in _UNDOUBLED:
                    stemmed = stemmed[:-1]  # "planned" -> "plan", "embedding" -> "embed"
                word = stemmed
                break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lowercased, stemmed words of two or more characters, stopwords left out."""
    return [
        stem(word)
        for word in _TOKEN.findall(text.lower())
        if len(word) > 1 and word not in STOPWORDS
    ]


def _term_counts(text: str) -> dict[str, int]:
    """`Counter(tokenize(text))`, counting words before stemming them: several times faster."""
    counts: dict[str, int] = {}
    for word, count in Counter(_TOKEN.findall(text.lower())).items():
        if len(word) > 1 and word not in STOPWORDS:
            term = stem(word)
            counts[term] = counts.get(term, 0) + count
    return counts


def _postings(chunks: Sequence[Chunk]) -> tuple[dict[str, list[tuple[int, int]]], list[int]]:
    """For each term, (chunk position, frequency) of the chunks holding it; each chunk's length."""
    postings: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    lengths: list[int] = []
    for position, chunk in enumerate(chunks):
        counts = _term_counts(chunk.text)
        lengths.append(sum(counts.values()))
        for term, frequency in counts.items():
            postings[term].append((position, frequency))
    return dict(postings), lengths


class KnowledgeIndex:
    """Okapi BM25 over chunks. Immutable once built; cheap enough to build per request."""

    def __init__(self, chunks: Iterable[Chunk], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.chunks: tuple[Chunk, ...] = tuple(chunks)
        self._k1 = k1
        self._b = b
        self._postings, self._lengths = _postings(self.chunks)
        total = len(self.chunks)
        self._average_length = (sum(self._lengths) / total) if total else 0.0
        self._idf = {
            term: self._idf_for(len(postings)) for term, postings in self._postings.items()
        }
        # A word no chunk holds weighs a little more than the rarest word that does: in "can I
        # pay with bitcoin?" the unknown word is the point, so half a match is not a match; yet
        # one unknown word among several known ones does not sink a well-covered query.
        self._unseen_idf = self._idf_for(0.5)

    def __len__(self) -> int:
        return len(self.chunks)

    def _idf_for(self, document_frequency: float) -> float:
        total = len(self.chunks)
        return math.log(1 + (total - document_frequency + 0.5) / (document_frequency + 0.5))

    def idf(self, term: str) -> float:
        """The weight of one (already tokenized) term; terms no chunk holds weigh the most."""
        return self._idf.get(term, self._unseen_idf)

    def search(self, query: str, k: int = 3) -> list[tuple[Chunk, float]]:
        """The `k` best chunks for `query` with their BM25 scores, best first; only scores > 0."""
        return [(self.chunks[position], score) for position, score in self.ranked(query, k)]

    def ranked(self, query: str, k: int = 3) -> list[tuple[int, float]]:
        """Like `search`, with each chunk's position in `chunks` instead of the chunk."""
        scores: dict[int, float] = {}
        # Sorted, so that sums come out the same in every process (set order varies with the
        # hash seed, and float addition is not associative): equal questions rank equally.
        for term in sorted(set(tokenize(query))):
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = self._idf[term]
            for position, frequency in postings:
                norm = self._k1 * (
                    1 - self._b + self._b * self._lengths[position] / self._average_length
                )
                gain = idf * frequency * (self._k1 + 1) / (frequency + norm)
                scores[position] = scores.get(position, 0.0) + gain
        best = heapq.nlargest(k, scores.items(), key=lambda item: (item[1], -item[0]))
        return [(position, score) for position, score in best if score > 0]

    def coverage(self, query: str, text: str) -> float:
        """How much of the query's weight (0..1, by IDF) `text` contains.

        A high BM25 score can come from one common word; coverage tells whether a passage
        is about what was asked ("Do you sell pizza?" vs a passage that only says "sell").
        """
        terms = set(tokenize(query))
        present = terms & set(tokenize(text))
        if not present:
            return 0.0
        return 1.0 if present == terms else self.weight(present) / self.weight(terms)

    def weight(self, terms: Iterable[str]) -> float:
        """The summed IDF of (tokenized) terms, in a fixed order so that it is reproducible."""
        return math.fsum(self.idf(term) for term in sorted(terms))
