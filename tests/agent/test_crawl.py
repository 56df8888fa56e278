"""The crawler against a small site served on loopback by the test: robots.txt, sitemaps, links,
limits, redirects, and the fetch function as the place where the SSRF guard sits."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.agent.samples import pdf_with_text
from widget.agent.core import RuleAgent
from widget.agent.crawl import CrawlError, Response, crawl, http_fetcher
from widget.agent.demo import DEMO_AGENT
from widget.agent.ingest import (
    UnusableDocuments,
    chunk_documents,
    chunk_pages,
    documents_from_crawl,
)
from widget.agent.knowledge import KnowledgeIndex


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None


def html(title: str, body: str, lang: str = "en") -> Route:
    page = f'<!doctype html><html lang="{lang}"><head><title>{title}</title></head><body>{body}'
    return Route(body=(page + "</body></html>").encode())


class Site:
    """A real HTTP server on 127.0.0.1 with the routes a test gives; it logs every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                route = site.routes.get(self.path, Route(404, b"not found", "text/plain"))
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.location:
                    self.send_header("Location", route.location)
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, trust_env=False) as plain:
        yield plain


def shop(site: Site) -> None:
    site.routes.update(
        {
            "/robots.txt": Route(
                body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"
            ),
            "/": html(
                "Bergwerk Outdoor",
                '<nav><a href="/versand">Versand</a> <a href="/zahlung">Zahlung</a></nav>'
                "<main><h1>Willkommen</h1><p>Ausrüstung für draußen.</p>"
                '<a href="/private/admin">Admin</a> <a href="/logo.png">Logo</a>'
                '<a href="https://elsewhere.test/">Partner</a> <a href="/fehlt">Kaputt</a>'
                '<a href="/alt">Alte Seite</a> <a href="/handbuch.pdf">Handbuch</a>'
                '<a href="/versand#kosten">Kosten</a></main>',
                lang="de",
            ),
            "/versand": html(
                "Versand",
                "<main><h1>Versand</h1><p>Wir versenden alle Bestellungen innerhalb von zwei "
                "Werktagen.</p></main>",
                lang="de",
            ),
            "/zahlung": html(
                "Zahlung",
                "<main><h1>Zahlungsarten</h1><p>Sie können per PayPal und auf Rechnung "
                "bezahlen.</p></main>",
                lang="de",
            ),
            "/alt": Route(301, location="/versand"),
            "/handbuch.pdf": Route(
                body=pdf_with_text([["Pflege: Zelte trocken lagern."]]),
                content_type="application/pdf",
            ),
            "/private/admin": html("Admin", "<p>secret</p>"),
        }
    )


def test_a_site_is_crawled_on_its_own_host_as_robots_txt_allows(
    site: Site, client: httpx.Client
) -> None:
    shop(site)
    result = crawl(f"{site.url}/", fetch=http_fetcher(client))

    urls = [page.url for page in result.pages]
    assert urls == [
        f"{site.url}/",
        f"{site.url}/versand",
        f"{site.url}/zahlung",
        f"{site.url}/handbuch.pdf",
    ]
    assert result.stopped_by is None
    # Disallowed, off-site and image links are never requested; the fragment is no new page.
    assert "/private/admin" not in site.requests
    assert "/logo.png" not in site.requests
    assert site.requests.count("/versand") == 1
    skipped = dict(result.skipped)
    assert skipped[f"{site.url}/private/admin"] == "disallowed by robots.txt"
    assert skipped[f"{site.url}/fehlt"] == "HTTP 404"
    assert site.requests[0] == "/robots.txt"
    versand = result.pages[1]
    assert (versand.title, versand.language, versand.media_type) == ("Versand", "de", "text/html")


def test_crawled_pages_become_knowledge_whose_answers_link_to_the_page(
    site: Site, client: httpx.Client
) -> None:
    shop(site)
    result = crawl(f"{site.url}/", fetch=http_fetcher(client))
    index = KnowledgeIndex(chunk_documents(documents_from_crawl(result)))

    reply = RuleAgent().respond(DEMO_AGENT, [], "Wie lange dauert der Versand?", index)
    assert reply.language == "de"
    assert "innerhalb von zwei Werktagen" in reply.content
    [source] = reply.sources
    assert source.url == f"{site.url}/versand"
    assert source.label == "Versand"

    pdf_reply = RuleAgent().respond(DEMO_AGENT, [], "Wie lagere ich Zelte?", index)
    assert [s.url for s in pdf_reply.sources] == [f"{site.url}/handbuch.pdf"]


def test_a_page_without_text_is_left_out_not_the_whole_site(
    site: Site, client: httpx.Client
) -> None:
    site.routes.update(
        {
            "/": html("Home", '<main><p>Opening hours: 9 to 5.</p><a href="/gallery">G</a></main>'),
            "/gallery": html("Gallery", "<main><img src=a.jpg></main>"),
        }
    )
    chunks, left_out = chunk_pages(crawl(site.url, fetch=http_fetcher(client)))
    assert [c.url for c in chunks] == [f"{site.url}/"]
    assert left_out == [
        (f"{site.url}/gallery", f"document '{site.url}/gallery' has no usable text")
    ]
    site.routes["/"] = html("Home", '<main><a href="/gallery"><img src=g.jpg></a></main>')
    with pytest.raises(UnusableDocuments, match="2 documents cannot be used"):
        chunk_pages(crawl(site.url, fetch=http_fetcher(client)))


def test_a_sitemap_lists_the_pages_even_unlinked_ones(site: Site, client: httpx.Client) -> None:
    shop(site)
    site.routes["/robots.txt"] = Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")
    site.routes["/sitemap.xml"] = Route(
        body=(
            b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
            b'sitemap/0.9"><sitemap><loc>' + site.url.encode() + b"/pages.xml</loc></sitemap>"
            b"</sitemapindex>"
        ),
        content_type="application/xml",
    )
    site.routes["/pages.xml"] = Route(
        body=(
            b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>" + site.url.encode() + b"/zahlung</loc></url>"
            b"<url><loc>" + site.url.encode() + b"/versteckt</loc></url>"
            b"<url><loc>https://elsewhere.test/x</loc></url></urlset>"
        ),
        content_type="application/xml",
    )
    site.routes["/versteckt"] = html("Versteckt", "<p>Nur in der Sitemap verlinkt.</p>", "de")
    result = crawl(f"{site.url}/sitemap.xml", fetch=http_fetcher(client), max_pages=2)
    assert [page.url for page in result.pages] == [f"{site.url}/zahlung", f"{site.url}/versteckt"]
    assert "https://elsewhere.test/x" not in {url for url, _ in result.skipped}


def test_robots_txt_sitemaps_add_pages_to_a_page_crawl(site: Site, client: httpx.Client) -> None:
    site.routes.update(
        {
            "/robots.txt": Route(
                body=f"Sitemap: {site.url}/sitemap.xml\n".encode(), content_type="text/plain"
            ),
            "/": html("Home", "<p>Nothing linked here.</p>"),
            "/sitemap.xml": Route(
                body=f"<urlset><url><loc>{site.url}/faq</loc></url></urlset>".encode(),
                content_type="text/xml",
            ),
            "/faq": html("FAQ", "<p>Answers.</p>"),
        }
    )
    result = crawl(site.url, fetch=http_fetcher(client))
    assert [page.url for page in result.pages] == [f"{site.url}/", f"{site.url}/faq"]


def test_the_page_limit_stops_the_crawl(site: Site, client: httpx.Client) -> None:
    shop(site)
    result = crawl(f"{site.url}/", fetch=http_fetcher(client), max_pages=2)
    assert len(result.pages) == 2
    assert result.stopped_by == "page limit"


def test_the_time_limit_stops_the_crawl(site: Site, client: httpx.Client) -> None:
    shop(site)
    now = [0.0]
    fetch = http_fetcher(client)

    def slow_fetch(url: str) -> Response:
        now[0] += 10.0  # every request "takes" ten seconds on this clock
        return fetch(url)

    result = crawl(f"{site.url}/", fetch=slow_fetch, time_limit=25.0, clock=lambda: now[0])
    assert result.stopped_by == "time limit"
    assert len(result.pages) == 2  # robots.txt at 10 s, "/" at 20 s, "/versand" at 30 s


def test_a_redirect_off_the_site_is_not_followed(site: Site, client: httpx.Client) -> None:
    site.routes.update(
        {
            "/": html("Home", '<a href="/go">Go</a>'),
            "/go": Route(302, location="https://elsewhere.test/landing"),
        }
    )
    result = crawl(site.url, fetch=http_fetcher(client))
    assert dict(result.skipped)[f"{site.url}/go"] == (
        "redirects off the site, to https://elsewhere.test/landing"
    )


@pytest.mark.parametrize(
    ("robots", "message"),
    [
        (Route(503, b"down", "text/plain"), "answered HTTP 503: the site may not be crawled"),
        (Route(body=b"User-agent: *\nDisallow: /\n", content_type="text/plain"), "does not allow"),
    ],
)
def test_a_site_that_forbids_or_fails_robots_txt_is_not_crawled(
    site: Site, client: httpx.Client, robots: Route, message: str
) -> None:
    site.routes.update({"/robots.txt": robots, "/": html("Home", "<p>Hi</p>")})
    with pytest.raises(CrawlError, match=message):
        crawl(site.url, fetch=http_fetcher(client))
    assert "/" not in site.requests


def test_the_servers_ssrf_guard_refuses_loopback_unless_allowed(site: Site) -> None:
    from widget.server.webhooks.ssrf import guarded_client

    shop(site)
    refused = re.escape("refusing to send to '127.0.0.1'")
    with guarded_client(allow_private=False) as guarded, pytest.raises(CrawlError, match=refused):
        crawl(site.url, fetch=http_fetcher(guarded))
    assert site.requests == []
    with guarded_client(allow_private=True) as allowed:
        assert len(crawl(site.url, fetch=http_fetcher(allowed)).pages) == 4


def test_a_response_over_the_byte_limit_is_skipped(site: Site, client: httpx.Client) -> None:
    site.routes.update(
        {"/": html("Home", '<a href="/big">Big</a>'), "/big": html("Big", "x" * 50_000)}
    )
    result = crawl(site.url, fetch=http_fetcher(client, max_bytes=10_000))
    assert "over 10000 bytes" in dict(result.skipped)[f"{site.url}/big"]


@pytest.mark.parametrize("url", ["ftp://example.test/", "/relative", "file:///etc/passwd"])
def test_only_http_urls_can_start_a_crawl(url: str, client: httpx.Client) -> None:
    with pytest.raises(CrawlError, match="must be an http"):
        crawl(url, fetch=http_fetcher(client))
