"""A training's documents, or its website, as chunks: run in a child process by the training
worker (`widget.server.agents.training_jobs`), so this CPU work (PDF text, HTML parsing, language
detection) never competes with request handlers for the interpreter lock.

Progress goes back to the worker through the queue the child process was started with
(`start_child`): (training id, done, total) after each file or crawled page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any

from widget.agent.crawl import CrawlError, crawl, http_fetcher
from widget.agent.formats import UnusableDocument
from widget.agent.ingest import Document, TrainingLimits, chunk_documents, chunk_pages
from widget.agent.knowledge import Chunk
from widget.server.agents.training_schemas import decode_base64
from widget.server.webhooks.ssrf import CRAWL_SWITCH, guarded_client

Progress = tuple[int, int, int]  # training id, done, total
_progress: Queue[Progress] | None = None


def start_child(progress: Queue[Progress]) -> None:
    """The child process's initializer: where progress reports go."""
    global _progress
    _progress = progress


def _reporter(training_id: int) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if _progress is not None:
            _progress.put((training_id, done, total))

    return report


@dataclass(frozen=True, slots=True)
class CrawlLimits:
    max_pages: int
    time_limit: float
    allow_private: bool
    request_timeout: float = 15.0


@dataclass(frozen=True, slots=True)
class Chunked:
    """What a training produced: its chunks, its `dataCount` (chunks for documents, pages for a
    website) and, for a website, the pages left out and why; or `error`, why it failed (naming
    each unusable file). A plain string crosses the process boundary safely, unlike exceptions
    with their own constructors."""

    chunks: list[Chunk] = field(default_factory=list)
    data_count: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    processed: int = 0  # files or pages read: the progress at the end
    error: str | None = None


def document_of(stored: dict[str, Any]) -> Document:
    """A document as the Training row keeps it ({"name", "content" | "contentBase64",
    "language"?}; the API checked it) as the ingest library takes it."""
    encoded = stored.get("contentBase64")
    content: str | bytes = decode_base64(encoded) if encoded is not None else stored["content"]
    return Document(stored["name"], content, stored.get("language"))


def chunk_training(
    training_id: int, documents: list[dict[str, Any]], limits: TrainingLimits
) -> Chunked:
    """Every document's chunks, or the error naming each unusable one and why."""
    try:
        chunks = chunk_documents(
            [document_of(d) for d in documents], limits=limits, progress=_reporter(training_id)
        )
    except UnusableDocument as error:
        return Chunked(error=error.reason)
    return Chunked(chunks, len(chunks), processed=len(documents))


def crawl_training(
    training_id: int, url: str, limits: TrainingLimits, crawl_limits: CrawlLimits
) -> Chunked:
    """The website's pages as chunks, fetched through the same SSRF guard as webhooks; or the
    error when the crawl cannot start (robots.txt, a refused address) or no page is usable."""
    try:
        with guarded_client(
            allow_private=crawl_limits.allow_private,
            timeout=crawl_limits.request_timeout,
            switch=CRAWL_SWITCH,
        ) as client:
            result = crawl(
                url,
                fetch=http_fetcher(client),
                max_pages=crawl_limits.max_pages,
                time_limit=crawl_limits.time_limit,
                progress=_reporter(training_id),
            )
        chunks, left_out = chunk_pages(result, limits=limits)
    except CrawlError as error:
        return Chunked(error=f"{url}: {error}")
    except UnusableDocument as error:
        return Chunked(error=error.reason)
    used_pages = len({chunk.document for chunk in chunks})
    return Chunked(chunks, used_pages, [*result.skipped, *left_out], len(result.pages))
