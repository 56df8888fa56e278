"""A website as training data: the pages of one host, found from a page URL or a sitemap.

The crawler stays on the start URL's host, reads robots.txt first (RFC 9309, with Protego) and
obeys it, follows sitemaps (a sitemap URL, or those robots.txt names) and links, and stops at a
page limit and a time limit. It does no networking itself: the caller passes `fetch`, so the
server hands in its SSRF-guarded client (`http_fetcher(guarded_client(...))`) and tests a client
for a loopback site. Redirects are followed here, one hop at a time, only within the host.
"""

from __future__ import annotations

import gzip
import hashlib
import time
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from protego import Protego

from widget.agent.formats.html import parse_page

USER_AGENT = "ParleyBot"
DEFAULT_MAX_PAGES = 100
DEFAULT_TIME_LIMIT = 120.0  # seconds for the whole crawl
DEFAULT_MAX_BYTES = 5_000_000  # one response
_MAX_REDIRECTS = 5
_MAX_SITEMAPS = 20
_MAX_CRAWL_DELAY = 5.0  # a robots.txt Crawl-delay above this is capped, not obeyed forever

_DOCUMENT_TYPES = {
    "text/html": "text/html",
    "application/xhtml+xml": "text/html",
    "application/pdf": "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "text/plain",
    "text/markdown": "text/markdown",
}
# Links to these are not pages: not worth a request.
_SKIPPED_EXTENSIONS = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".bmp", ".tif", ".tiff",
        ".avif", ".mp3", ".mp4", ".m4a", ".wav", ".ogg", ".webm", ".mov", ".avi", ".zip", ".gz",
        ".tgz", ".rar", ".7z", ".tar", ".exe", ".dmg", ".pkg", ".deb", ".rpm", ".iso", ".css",
        ".js", ".mjs", ".json", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".xlsx", ".xls",
        ".pptx", ".ppt", ".csv", ".rss", ".atom",
    }
)  # fmt: skip


_ACCEPT = "text/html,application/xhtml+xml,application/pdf,application/xml;q=0.9,*/*;q=0.5"


class CrawlError(ValueError):
    """The crawl cannot start: a bad start URL, or a site that forbids or fails robots.txt."""


@dataclass(frozen=True, slots=True)
class Response:
    """What `fetch` returns for one GET, redirects not followed."""

    url: str
    status: int
    body: bytes = b""
    content_type: str | None = None
    location: str | None = None  # the Location header of a redirect


Fetch = Callable[[str], Response]


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    content: bytes
    media_type: str
    title: str | None = None
    language: str | None = None  # as the page declares it


@dataclass
class CrawlResult:
    start_url: str
    pages: list[Page] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, why)
    stopped_by: str | None = None  # "page limit" or "time limit" when the crawl was cut short


def normalize_url(url: str) -> str:
    """`url` without its fragment, with its scheme and host lowercased and a default port gone."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower().rsplit("@", 1)[-1]  # never credentials in a crawled URL
    for default in ((":80", "http"), (":443", "https")):
        if netloc.endswith(default[0]) and scheme == default[1]:
            netloc = netloc[: -len(default[0])]
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _site(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _is_sitemap(url: str, response: Response) -> bool:
    media = (response.content_type or "").split(";", 1)[0].strip().lower()
    head = _maybe_gunzip(response.body)[:512].lstrip()
    looks_xml = head.startswith(b"<?xml") or b"<urlset" in head or b"<sitemapindex" in head
    return (media.endswith("xml") or urlsplit(url).path.endswith((".xml", ".xml.gz"))) and (
        looks_xml
    )


def _maybe_gunzip(body: bytes) -> bytes:
    if body[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(body)[: DEFAULT_MAX_BYTES * 4]
        except (OSError, EOFError):
            return b""
    return body


def sitemap_urls(body: bytes) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) listed in a sitemap or sitemap index."""
    try:
        # No DTDs or entities in a sitemap: expat (2.4.1 and later) refuses entity bombs anyway.
        root = ElementTree.fromstring(_maybe_gunzip(body))
    except ElementTree.ParseError:
        return [], []
    pages: list[str] = []
    nested: list[str] = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "loc" or not element.text:
            continue
        parent_kind = "sitemap" if root.tag.rsplit("}", 1)[-1] == "sitemapindex" else "url"
        (nested if parent_kind == "sitemap" else pages).append(element.text.strip())
    return pages, nested


class _Crawl:
    def __init__(
        self,
        start_url: str,
        fetch: Fetch,
        max_pages: int,
        time_limit: float,
        user_agent: str,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.start = normalize_url(start_url)
        self.site = _site(self.start)
        self.fetch = fetch
        self.max_pages = max_pages
        self.deadline = clock() + time_limit
        self.user_agent = user_agent
        self.clock = clock
        self.sleep = sleep
        self.progress = progress
        self.result = CrawlResult(self.start)
        self.queue: deque[str] = deque()
        self.seen: set[str] = set()
        self.digests: set[bytes] = set()
        self.robots: Protego | None = None
        self.delay = 0.0
        self.last_fetch: float | None = None

    def same_site(self, url: str) -> bool:
        return _site(url) == self.site and urlsplit(url).scheme in ("http", "https")

    def enqueue(self, url: str) -> None:
        url = normalize_url(url)
        if url in self.seen or not self.same_site(url):
            return
        extension = urlsplit(url).path.rsplit("/", 1)[-1]
        if "." in extension and "." + extension.rsplit(".", 1)[-1].lower() in _SKIPPED_EXTENSIONS:
            return
        self.seen.add(url)
        self.queue.append(url)

    def out_of_time(self) -> bool:
        return self.clock() >= self.deadline

    def get(self, url: str) -> Response | None:
        """One GET, following redirects within the site; None (and a note) when it fails."""
        for _ in range(_MAX_REDIRECTS + 1):
            if self.last_fetch is not None and self.delay:
                wait = self.last_fetch + self.delay - self.clock()
                if wait > 0:
                    self.sleep(min(wait, max(0.0, self.deadline - self.clock())))
            self.last_fetch = self.clock()
            try:
                response = self.fetch(url)
            except Exception as error:  # the fetcher's own refusal (SSRF guard) or a network error
                self.result.skipped.append((url, f"could not be fetched: {error}"))
                return None
            if response.status in (301, 302, 303, 307, 308) and response.location:
                target = normalize_url(urljoin(url, response.location))
                if not self.same_site(target):
                    self.result.skipped.append((url, f"redirects off the site, to {target}"))
                    return None
                if self.robots is not None and not self.robots.can_fetch(target, self.user_agent):
                    self.result.skipped.append((url, "redirects to a page robots.txt disallows"))
                    return None
                if target in self.seen:  # crawled already, or queued to be
                    self.result.skipped.append((url, f"redirects to {target}, taken on its own"))
                    return None
                self.seen.add(target)
                url = target
                continue
            return response
        self.result.skipped.append((url, f"more than {_MAX_REDIRECTS} redirects"))
        return None

    def read_robots(self) -> None:
        scheme, netloc = self.site
        robots_url = f"{scheme}://{netloc}/robots.txt"
        try:
            response = self.fetch(robots_url)
        except Exception as error:
            raise CrawlError(f"could not read {robots_url}: {error}") from error
        if 200 <= response.status < 300:
            self.robots = Protego.parse(response.body.decode("utf-8", "replace"))
            delay = self.robots.crawl_delay(self.user_agent)
            self.delay = min(float(delay), _MAX_CRAWL_DELAY) if delay else 0.0
        elif response.status >= 500 or response.status == 429:
            # RFC 9309: an unreachable robots.txt means the whole site is disallowed.
            raise CrawlError(
                f"{robots_url} answered HTTP {response.status}: the site may not be crawled now"
            )
        # 4xx: no robots.txt, so no rules.

    def allowed(self, url: str) -> bool:
        return self.robots is None or bool(self.robots.can_fetch(url, self.user_agent))

    def add_sitemap(self, url: str, sitemaps_read: list[int]) -> None:
        pending = [url]
        while pending and sitemaps_read[0] < _MAX_SITEMAPS and not self.out_of_time():
            sitemap = pending.pop(0)
            if not self.same_site(normalize_url(sitemap)):
                continue
            sitemaps_read[0] += 1
            response = self.get(normalize_url(sitemap))
            if response is None:
                continue
            if response.status != 200:
                self.result.skipped.append((sitemap, f"HTTP {response.status}"))
                continue
            pages, nested = sitemap_urls(response.body)
            for page in pages:
                self.enqueue(page)
            pending.extend(nested)

    def run(self) -> CrawlResult:
        self.read_robots()
        sitemaps_read = [0]
        first = self.get(self.start) if self.allowed(self.start) else None
        if first is None and not self.allowed(self.start):
            raise CrawlError(f"robots.txt does not allow {self.user_agent} to read {self.start}")
        if first is not None and _is_sitemap(self.start, first):
            self.seen.add(self.start)
            pages, nested = sitemap_urls(first.body)
            sitemaps_read[0] += 1
            for page in pages:
                self.enqueue(page)
            for sitemap in nested:
                self.add_sitemap(sitemap, sitemaps_read)
        else:
            self.seen.add(self.start)
            if first is not None:
                self.take(self.start, first)
            for sitemap in self.robots.sitemaps if self.robots is not None else ():
                self.add_sitemap(sitemap, sitemaps_read)
        while self.queue:
            if len(self.result.pages) >= self.max_pages:
                self.result.stopped_by = "page limit"
                break
            if self.out_of_time():
                self.result.stopped_by = "time limit"
                break
            url = self.queue.popleft()
            if not self.allowed(url):
                self.result.skipped.append((url, "disallowed by robots.txt"))
                continue
            response = self.get(url)
            if response is not None:
                self.take(url, response)
        return self.result

    def take(self, url: str, response: Response) -> None:
        """Keep the page if it is a document, and queue its links."""
        if response.status != 200:
            self.result.skipped.append((url, f"HTTP {response.status}"))
            return
        media = (response.content_type or "text/html").split(";", 1)[0].strip().lower()
        kind = _DOCUMENT_TYPES.get(media)
        if kind is None:
            self.result.skipped.append((url, f"not a page or document ({media})"))
            return
        digest = hashlib.sha256(response.body).digest()
        if digest in self.digests:
            self.result.skipped.append((url, "the same content as a page already taken"))
            return
        self.digests.add(digest)
        title = language = None
        if kind == "text/html":
            html = response.body.decode("utf-8", "replace")
            page = parse_page(html, response.url or url)
            title, language = page.title, page.language
            for link in page.links:
                self.enqueue(link)
        if len(self.result.pages) >= self.max_pages:
            self.result.stopped_by = "page limit"
            return
        self.result.pages.append(Page(response.url or url, response.body, media, title, language))
        if self.progress is not None:
            self.progress(len(self.result.pages), min(self.max_pages, len(self.seen)))


def crawl(
    start_url: str,
    *,
    fetch: Fetch,
    max_pages: int = DEFAULT_MAX_PAGES,
    time_limit: float = DEFAULT_TIME_LIMIT,
    user_agent: str = USER_AGENT,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int, int], None] | None = None,
) -> CrawlResult:
    """The pages of `start_url`'s host (a page, or a sitemap), within the limits.

    Raises `CrawlError` when the start URL is not http(s), or robots.txt forbids the crawl or
    cannot be read (a 5xx). Pages that fail are listed in `skipped` with the reason. `progress`
    is called with (pages taken, pages known so far) after each page."""
    parts = urlsplit(start_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CrawlError(f"the start URL must be an http(s) URL with a host, got {start_url!r}")
    if max_pages < 1:
        raise CrawlError("max_pages must be at least 1")
    return _Crawl(start_url, fetch, max_pages, time_limit, user_agent, clock, sleep, progress).run()


def http_fetcher(
    client: httpx.Client, *, max_bytes: int = DEFAULT_MAX_BYTES, user_agent: str = USER_AGENT
) -> Fetch:
    """A `Fetch` over an httpx client that does not follow redirects (the guarded client does
    not); a body over `max_bytes` is an error, read no further than that."""

    def fetch(url: str) -> Response:
        headers = {"User-Agent": f"{user_agent}/1.0", "Accept": _ACCEPT}
        with client.stream("GET", url, headers=headers, follow_redirects=False) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ValueError(f"the response is over {max_bytes} bytes")
                chunks.append(chunk)
            return Response(
                url=str(response.url),
                status=response.status_code,
                body=b"".join(chunks),
                content_type=response.headers.get("content-type"),
                location=response.headers.get("location"),
            )

    return fetch
