"""A website as a training source: crawled in the worker through the SSRF guard, robots.txt obeyed,
a sitemap followed, pages counted, sources linking to the pages, and a re-crawl on demand."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.agent.test_crawl import Route, Site, html
from tests.server.agents.test_training_formats import ask, new_agent, train
from tests.server.conftest import wait_until
from widget.server.agents.tables import KnowledgeChunk
from widget.server.core.config import Settings

Outbox = Callable[[], list[tuple[str, dict[str, Any]]]]
Start = Callable[..., tuple[str, dict[str, str]]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The test's site is on loopback, which only an operator's switch lets a crawl reach.
    return dataclasses.replace(settings, crawl_allow_private=True, crawl_max_pages=10)


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as running:
        base = running.url
        running.routes.update(
            {
                "/robots.txt": Route(
                    body=b"User-agent: *\nDisallow: /private\n", content_type="text/plain"
                ),
                "/sitemap.xml": Route(
                    body=(
                        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                        f'sitemap/0.9"><url><loc>{base}/</loc></url>'
                        f"<url><loc>{base}/shipping</loc></url>"
                        f"<url><loc>{base}/private</loc></url></urlset>"
                    ).encode(),
                    content_type="application/xml",
                ),
                "/": html(
                    "Garden Shop",
                    "<main><h1>Garden Shop</h1><p>We sell tools for gardens of every size, "
                    'from spades to lawn mowers.</p><a href="/returns">Returns</a></main>',
                ),
                "/shipping": html(
                    "Shipping",
                    "<main><h1>Shipping</h1><p>Every order ships within two working days, "
                    "free of charge above 50 euros.</p></main>",
                ),
                "/returns": html(
                    "Returns",
                    "<main><h1>Returns</h1><p>You can return any tool within 30 days for a "
                    "full refund.</p></main>",
                ),
                "/private": html("Staff", "<main><p>The staff discount code is SECRET.</p></main>"),
            }
        )
        yield running


def test_a_website_trains_the_agent_and_its_pages_are_the_sources(
    client: httpx.Client, admin: dict[str, str], start: Start, outbox: Outbox, site: Site
) -> None:
    agent_id = new_agent(client, admin)
    result = train(client, admin, agent_id, {"source": "site", "url": f"{site.url}/sitemap.xml"})
    assert result["status"] == "completed", result
    assert result["url"] == f"{site.url}/sitemap.xml"
    assert result["dataCount"] == 3  # pages: /, /shipping and /returns (a link), not /private
    assert result["progress"] == {"done": 3, "total": 3}
    assert {"url": f"{site.url}/private", "reason": "disallowed by robots.txt"} in result["skipped"]
    assert "/private" not in site.requests
    name, data = outbox()[-1]
    assert (name, data["dataCount"], data["source"]) == ("training.completed", 3, "site")

    reply = ask(client, start, agent_id, "How long does shipping take?")
    assert "two working days" in reply["content"]
    assert reply["sources"] == [{"label": "Shipping", "url": f"{site.url}/shipping"}]


class GatedRoutes(dict[str, Route]):
    """Routes whose `gated` path answers only once `opened` is set: a crawl caught mid-way."""

    def __init__(self, routes: dict[str, Route], gated: str) -> None:
        super().__init__(routes)
        self.gated = gated
        self.opened = threading.Event()

    def get(self, path: str, default: Any = None) -> Any:
        if path == self.gated:
            self.opened.wait(30)
        return super().get(path, default)


def test_a_running_crawl_shows_its_progress(
    client: httpx.Client, admin: dict[str, str], site: Site
) -> None:
    routes = site.routes = GatedRoutes(site.routes, "/returns")
    agent_id = new_agent(client, admin)
    accepted = client.post(
        f"/v1/agents/{agent_id}/training",
        headers=admin,
        json={"source": "site", "url": f"{site.url}/sitemap.xml"},
    )
    status_url = f"/v1/agents/{agent_id}/training/{accepted.json()['trainingId']}"
    try:
        # / and /shipping are done; /returns is held.
        running = wait_until(
            lambda: (
                (t := client.get(status_url, headers=admin).json())["progress"]
                and t["progress"]["done"] == 2
                and t
            ),
            what="progress while crawling",
        )
        assert running["status"] == "running"
        # The total is what the crawl knows so far (the sitemap's and the links' URLs).
        assert running["progress"]["total"] >= 3
    finally:
        routes.opened.set()
    assert train_result(client, admin, status_url)["progress"] == {"done": 3, "total": 3}


def train_result(client: httpx.Client, admin: dict[str, str], url: str) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        status: dict[str, Any] = client.get(url, headers=admin).json()
        return status if status["status"] in ("completed", "failed") else None

    result: dict[str, Any] = wait_until(finished, what="the training")
    return result


def test_posting_the_same_website_again_crawls_it_again(
    client: httpx.Client, admin: dict[str, str], start: Start, site: Site, app: Any
) -> None:
    agent_id = new_agent(client, admin)
    body = {"source": "site", "url": f"{site.url}/sitemap.xml"}
    assert train(client, admin, agent_id, body)["dataCount"] == 3
    site.routes["/shipping"] = html(
        "Shipping",
        "<main><h1>Shipping</h1><p>Every order now ships the next working day.</p></main>",
    )
    site.routes["/"] = html("Garden Shop", "<main><p>We sell tools for gardens.</p></main>")
    del site.routes["/returns"]  # gone from the site, and no longer linked
    assert train(client, admin, agent_id, body)["dataCount"] == 2
    reply = ask(client, start, agent_id, "How long does shipping take?")
    assert "next working day" in reply["content"]
    assert "two working days" not in reply["content"]
    with app.state.sessions() as session:
        pages = set(
            session.scalars(
                select(KnowledgeChunk.url).where(KnowledgeChunk.agent_id == agent_id)
            ).all()
        )
    assert pages == {f"{site.url}/", f"{site.url}/shipping"}  # the page gone went too


def test_a_site_that_cannot_be_crawled_fails_the_training_saying_why(
    client: httpx.Client, admin: dict[str, str], site: Site
) -> None:
    site.routes["/robots.txt"] = Route(500, b"down", "text/plain")
    agent_id = new_agent(client, admin)
    result = train(client, admin, agent_id, {"source": "site", "url": f"{site.url}/"})
    assert result["status"] == "failed"
    assert "robots.txt answered HTTP 500" in result["error"]


def test_internal_addresses_are_refused_unless_the_operator_allows_them(
    client: httpx.Client, admin: dict[str, str], app: Any
) -> None:
    app.state.settings = dataclasses.replace(app.state.settings, crawl_allow_private=False)
    response = client.post(
        "/v1/agents/ag_demo/training",
        headers=admin,
        json={"source": "site", "url": "http://127.0.0.1:9/"},
    )
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message.startswith("url: refusing to send to '127.0.0.1'")
    assert "WIDGET_CRAWL_ALLOW_PRIVATE=1" in message
    not_http = client.post(
        "/v1/agents/ag_demo/training",
        headers=admin,
        json={"source": "site", "url": "ftp://example.com/"},
    )
    assert not_http.status_code == 422
