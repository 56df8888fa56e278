"""A database another writer holds: requests that write answer 503 with Retry-After within the
busy timeout, reads go on, nothing accepted is lost, and the server recovers by itself."""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx

from tests.server.conftest import LoopbackServer, sqlite_only
from widget.server.app import create_app
from widget.server.core.config import Settings

pytestmark = sqlite_only
BUSY_TIMEOUT = 1.0


@contextmanager
def write_lock_held(settings: Settings) -> Iterator[None]:
    """Another connection holds the database's write lock (as a long migration or a stuck
    process would) until the block ends."""
    path = settings.sqlite_path()
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_busy"
    assert int(response.headers["retry-after"]) >= 1


def test_a_locked_database_is_503_fast_and_loses_nothing(settings: Settings) -> None:
    quick = dataclasses.replace(settings, database_busy_timeout=BUSY_TIMEOUT)
    with (
        LoopbackServer(create_app(quick)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        started = client.post("/v1/conversations", json={"agentId": "ag_demo"}).json()
        auth = {"Authorization": f"Bearer {started['visitorToken']}"}
        path = f"/v1/conversations/{started['conversationId']}/messages"
        message = {"content": "What does Parley do?", "clientMessageId": "c-1"}

        with write_lock_held(quick):
            began = time.monotonic()
            busy(client.post(path, json=message, headers=auth))
            busy(client.post("/v1/conversations", json={"agentId": "ag_demo"}))
            # Requests that wait together each wait once: no queue of timeouts.
            with ThreadPoolExecutor(4) as pool:
                answers = list(
                    pool.map(
                        lambda _: httpx.post(
                            f"{server.url}/v1/conversations", json={"agentId": "ag_demo"}
                        ),
                        range(4),
                    )
                )
            for answer in answers:
                busy(answer)
            assert time.monotonic() - began < 8 * BUSY_TIMEOUT
            # Readers are not blocked by a writer.
            assert client.get(path, headers=auth).json()["messages"] == []

        # The lock is gone: the same message, sent again, is accepted once.
        sent = client.post(path, json=message, headers=auth)
        assert sent.status_code == 200, sent.text
        again = client.post(path, json=message, headers=auth)
        assert again.json() == sent.json()
        transcript = client.get(path, headers=auth).json()["messages"]
        assert [m["role"] for m in transcript] == ["user", "assistant"]
