"""A training's documents (uploaded files or crawled pages) as chunks, every bad one named.

The server's training worker calls `chunk_documents`; it raises `UnusableDocuments`, listing each
document that cannot be used and why, so that `training.failed` can say all of it at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from widget.agent.crawl import CrawlResult
from widget.agent.formats import DEFAULT_LIMITS, Limits, UnusableDocument
from widget.agent.knowledge import Chunk, chunk_document


@dataclass(frozen=True, slots=True)
class Document:
    """One training document. `content` is text, or the file's bytes (PDF, .docx)."""

    name: str
    content: str | bytes
    language: str | None = None  # declared by the owner; detected when None
    url: str | None = None  # for a web page
    media_type: str | None = None  # as a web server gave it


@dataclass(frozen=True, slots=True)
class TrainingLimits:
    max_documents: int = 500
    max_total_bytes: int = 100_000_000
    file: Limits = field(default_factory=lambda: DEFAULT_LIMITS)


DEFAULT_TRAINING_LIMITS = TrainingLimits()


class UnusableDocuments(UnusableDocument):
    """Some documents of a training cannot be used; `failures` holds (name, reason) for each."""

    def __init__(self, failures: Sequence[tuple[str, str]]) -> None:
        self.failures = list(failures)
        count = len(self.failures)
        heading = "1 document cannot be used" if count == 1 else f"{count} documents cannot be used"
        super().__init__(f"{heading}: " + "; ".join(reason for _, reason in self.failures))


def chunk_documents(
    documents: Sequence[Document],
    *,
    limits: TrainingLimits = DEFAULT_TRAINING_LIMITS,
    progress: Callable[[int, int], None] | None = None,
) -> list[Chunk]:
    """Every document's chunks, or `UnusableDocuments` naming each one that cannot be used.

    `progress(done, total)` is called after each document, for a dashboard's progress bar."""
    if len(documents) > limits.max_documents:
        raise UnusableDocument(
            f"a training holds at most {limits.max_documents} documents; this one has "
            f"{len(documents)}"
        )
    total_bytes = sum(
        len(d.content) if isinstance(d.content, bytes) else len(d.content.encode("utf-8"))
        for d in documents
    )
    if total_bytes > limits.max_total_bytes:
        raise UnusableDocument(
            f"a training holds at most {limits.max_total_bytes} bytes; this one has {total_bytes}"
        )
    names = [d.name for d in documents]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UnusableDocument(f"document names must be unique; repeated: {', '.join(repeated)}")
    chunks: list[Chunk] = []
    failures: list[tuple[str, str]] = []
    for done, document in enumerate(documents, start=1):
        try:
            found = chunk_document(
                document.name,
                document.content,
                language=document.language,
                url=document.url,
                media_type=document.media_type,
                limits=limits.file,
            )
            if not found:
                raise UnusableDocument(f"document {document.name!r} has no usable text")
            chunks.extend(found)
        except UnusableDocument as error:
            failures.append((document.name, error.reason))
        if progress is not None:
            progress(done, len(documents))
    if failures:
        raise UnusableDocuments(failures)
    return chunks


def chunk_pages(
    result: CrawlResult,
    *,
    limits: TrainingLimits = DEFAULT_TRAINING_LIMITS,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Chunk], list[tuple[str, str]]]:
    """A crawl's chunks, and the pages left out with why: on a website one page without text
    (a gallery, a login form) is no reason to refuse the rest. Raises `UnusableDocuments` only
    when no page at all is usable, listing the crawl's skipped pages too."""
    chunks: list[Chunk] = []
    left_out: list[tuple[str, str]] = []
    documents = documents_from_crawl(result)
    for done, document in enumerate(documents, start=1):
        try:
            chunks += chunk_documents([document], limits=limits)
        except UnusableDocuments as error:
            left_out += error.failures
        except UnusableDocument as error:
            left_out.append((document.name, error.reason))
        if progress is not None:
            progress(done, len(documents))
    if not chunks:
        raise UnusableDocuments(
            [*left_out, *result.skipped]
            or [(result.start_url, f"no page of {result.start_url} could be read")]
        )
    return chunks, left_out


def documents_from_crawl(result: CrawlResult) -> list[Document]:
    """A crawl's pages as training documents, each named by its URL."""
    return [
        Document(page.url, page.content, page.language, page.url, page.media_type)
        for page in result.pages
    ]
