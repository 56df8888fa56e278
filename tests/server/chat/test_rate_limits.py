"""Rate limits: new conversations per client address and per agent, messages per conversation,
counted in the database so that they hold across server processes sharing it."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import (
    ADMIN_KEY,
    LoopbackServer,
    make_bundle,
    on_both_databases,
    wait_until,
)
from tests.server.webhooks.test_delivery_processes import Processes, free_port, processes
from widget.server.app import create_app
from widget.server.core.config import Settings

__all__ = ["processes"]  # the fixture, shared with the delivery process tests
pytestmark = on_both_databases


def away_from_a_window_edge(margin: float = 12.0) -> None:
    """Wait until the current minute has `margin` seconds left, so that a test's requests all
    fall in one fixed window."""
    wait_until(lambda: 60 - time.time() % 60 > margin, timeout=margin + 1, what="a fresh window")


def refused(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= 60
    assert f"Try again in {seconds} s." in response.json()["error"]["message"]
    return seconds


@pytest.fixture
def two_servers(
    processes: Processes, tmp_path: Path, database_url: str
) -> Iterator[tuple[str, str]]:
    env = {
        "WIDGET_DATABASE_URL": database_url,
        "WIDGET_ADMIN_KEY": ADMIN_KEY,
        "WIDGET_BUNDLE_DIR": str(make_bundle(tmp_path / "build")),
        "WIDGET_RATE_CONVERSATIONS_PER_ADDRESS": "5",
        "WIDGET_RATE_MESSAGES_PER_CONVERSATION": "4",
    }
    urls = []
    for name in ("serve-a", "serve-b"):
        port = free_port()
        args = ["widget", "serve", "--host", "127.0.0.1", "--port", str(port)]
        processes.start(name, [*args, "--log-level", "warning"], env)
        urls.append(f"http://127.0.0.1:{port}")

    def up(url: str) -> Callable[[], bool]:
        def answers() -> bool:
            try:
                return httpx.get(f"{url}/widget.js", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        return answers

    for url in urls:
        wait_until(up(url), timeout=60, what=f"{url} to start")
    yield urls[0], urls[1]


def test_limits_hold_across_two_server_processes_on_one_database(
    two_servers: tuple[str, str],
) -> None:
    a, b = two_servers
    away_from_a_window_edge()
    created = []
    for url in (a, b, a, b, a):
        response = httpx.post(f"{url}/v1/conversations", json={"agentId": "ag_demo"})
        assert response.status_code == 201, response.text
        created.append(response.json())
    # The sixth from this address is refused by either process.
    refused(httpx.post(f"{b}/v1/conversations", json={"agentId": "ag_demo"}))
    refused(httpx.post(f"{a}/v1/conversations", json={"agentId": "ag_demo"}))

    conversation = created[0]
    auth = {"Authorization": f"Bearer {conversation['visitorToken']}"}
    path = f"/v1/conversations/{conversation['conversationId']}/messages"
    replies = []
    for i, url in enumerate((a, b, a, b)):
        body = {"content": f"hello {i}", "clientMessageId": f"m{i}"}
        sent = httpx.post(f"{url}{path}", json=body, headers=auth)
        assert sent.status_code == 200, sent.text
        replies.append(sent.json())
    refused(httpx.post(f"{b}{path}", json={"content": "one too many"}, headers=auth))
    # A retry of a message already answered is no new message: it gets its stored reply.
    retry = httpx.post(
        f"{a}{path}", json={"content": "hello 0", "clientMessageId": "m0"}, headers=auth
    )
    assert retry.status_code == 200
    assert retry.json() == replies[0]
    transcript = httpx.get(f"{a}{path}", headers=auth).json()["messages"]
    assert [m["content"] for m in transcript if m["role"] == "user"] == [
        f"hello {i}" for i in range(4)
    ]


def test_new_conversations_are_limited_per_agent(settings: Settings, admin: dict[str, str]) -> None:
    limited = dataclasses.replace(settings, conversations_per_agent=3)
    with LoopbackServer(create_app(limited)) as server, httpx.Client(base_url=server.url) as client:
        other = client.post("/v1/agents", headers=admin, json={"name": "Other"}).json()["agentId"]
        away_from_a_window_edge()
        for _ in range(3):
            assert client.post("/v1/conversations", json={"agentId": "ag_demo"}).status_code == 201
        seconds = refused(client.post("/v1/conversations", json={"agentId": "ag_demo"}))
        assert (
            "for one agent"
            in client.post("/v1/conversations", json={"agentId": "ag_demo"}).json()["error"][
                "message"
            ]
        )
        assert seconds <= 60
        # Another agent has its own count, and a refused request counted nowhere.
        assert client.post("/v1/conversations", json={"agentId": other}).status_code == 201


def test_a_limit_of_zero_turns_it_off(settings: Settings) -> None:
    unlimited = dataclasses.replace(settings, conversations_per_address=0)
    with (
        LoopbackServer(create_app(unlimited)) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        for _ in range(40):
            assert client.post("/v1/conversations", json={"agentId": "ag_demo"}).status_code == 201
