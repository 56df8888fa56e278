"""The visitor's stream: a person's reply arrives live; a dropped connection resumes with
Last-Event-ID with nothing lost and nothing doubled; mode changes; the end; heartbeats; who may
read it; and two server processes on one database (PostgreSQL NOTIFY, the SQLite poll)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.server.conftest import ADMIN_KEY, LoopbackServer, on_both_databases, wait_until
from tests.server.support.sse import EventReader
from widget.server.app import create_app
from widget.server.core.config import Settings

pytestmark = on_both_databases

Start = Callable[..., tuple[str, dict[str, str]]]
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def fast(settings: Settings) -> Settings:
    return Settings(
        **{**settings.__dict__, "stream_heartbeat_seconds": 0.2, "live_poll_seconds": 0.2}
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(fast(settings))


def reply(client: httpx.Client, cid: str, text: str, name: str | None = "Ada") -> dict[str, Any]:
    response = client.post(
        f"/v1/conversations/{cid}/replies",
        headers=ADMIN,
        json={"content": text, **({"authorName": name} if name else {})},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def stream_url(server: LoopbackServer, cid: str) -> str:
    return f"{server.url}/v1/conversations/{cid}/stream"


def test_a_persons_reply_reaches_the_visitors_stream(
    server: LoopbackServer, client: httpx.Client, start: Start
) -> None:
    cid, auth = start()
    client.post(f"/v1/conversations/{cid}/messages", json={"content": "Hello"}, headers=auth)
    with EventReader(stream_url(server, cid), auth) as stream:
        assert stream.status == 200
        assert stream.wait_for("mode")[0].data == {"mode": "agent"}  # the state, on connect
        assert stream.retry == 3000
        sent = reply(client, cid, "Hi, I'm Ada from the team.")
        (message,) = stream.wait_for("message")
        assert message.id == sent["eventId"]
        assert message.data == sent
        assert message.data["author"] == {"kind": "person", "name": "Ada"}
        modes = stream.wait_for("mode", 2)
        assert modes[1].data == {"mode": "person", "reason": "takenOver"}
    # The visitor's own messages and the AI's replies came in the POST's answer: not pushed.
    assert [e.data["author"]["kind"] for e in stream.named("message")] == ["person"]


def test_heartbeats_keep_an_idle_stream_open(server: LoopbackServer, start: Start) -> None:
    cid, auth = start()
    with EventReader(stream_url(server, cid), auth) as stream:
        wait_until(lambda: stream.comments.count("ping") >= 2, what="two heartbeats")


def test_a_dropped_connection_resumes_with_nothing_lost_and_nothing_doubled(
    server: LoopbackServer, client: httpx.Client, start: Start
) -> None:
    cid, auth = start()
    with EventReader(stream_url(server, cid), auth) as stream:
        first = reply(client, cid, "one")
        (seen,) = stream.wait_for("message")
    # Dropped. Three replies while away, each on its own request.
    away = [reply(client, cid, text) for text in ("two", "three", "four")]
    with EventReader(stream_url(server, cid), {**auth, "Last-Event-ID": seen.id or ""}) as again:
        missed = again.wait_for("message", 3)
        assert [m.data["content"] for m in missed] == ["two", "three", "four"]
        assert [m.id for m in missed] == [m["eventId"] for m in away]
        live = reply(client, cid, "five")
        assert again.wait_for("message", 4)[-1].data["messageId"] == live["messageId"]
        assert len(again.named("message")) == 4
    assert seen.data["messageId"] == first["messageId"]
    # The EventSource fallback: the token and the last id in the query.
    query = f"?token={auth['Authorization'].split()[1]}&lastEventId={away[1]['eventId']}"
    with EventReader(stream_url(server, cid) + query) as fallback:
        assert [m.data["content"] for m in fallback.wait_for("message", 2)] == ["four", "five"]


def test_a_closed_conversation_says_ended_and_closes_the_stream(
    server: LoopbackServer, client: httpx.Client, start: Start
) -> None:
    cid, auth = start()
    with EventReader(stream_url(server, cid), auth) as stream:
        stream.wait_for("mode")
        closed = client.post(f"/v1/conversations/{cid}/close", headers=ADMIN)
        (ended,) = stream.wait_for("ended")
        assert ended.data == {"conversationId": cid, "endedAt": closed.json()["endedAt"]}
        assert stream.closed.wait(10)


def test_only_the_conversations_visitor_may_read_its_stream(
    server: LoopbackServer, start: Start
) -> None:
    cid, _auth = start()
    _other, other_auth = start()
    cases = [
        ({}, 401),
        ({"Authorization": "Bearer not-a-token"}, 403),
        (other_auth, 403),
        (ADMIN, 403),
    ]
    for headers, status in cases:
        with EventReader(stream_url(server, cid), headers) as refused:
            assert refused.status == status, headers
            assert refused.error["error"]["code"] in ("unauthorized", "forbidden")
    with EventReader(stream_url(server, "conv_nobody"), other_auth) as missing:
        assert missing.status == 404
    with EventReader(stream_url(server, cid), {**_auth, "Last-Event-ID": "abc"}) as bad:
        assert bad.status == 422
        assert "Last-Event-ID" in bad.error["error"]["message"]


@pytest.fixture
def second_process(settings: Settings) -> Iterator[LoopbackServer]:
    """Another server on the same database: an engine, a broadcaster and a listener (or poll)
    of its own, as another process has."""
    with LoopbackServer(create_app(fast(settings))) as other:
        yield other


def test_a_reply_through_one_process_reaches_a_stream_on_another(
    server: LoopbackServer,
    second_process: LoopbackServer,
    client: httpx.Client,
    start: Start,
) -> None:
    cid, auth = start()
    with EventReader(stream_url(second_process, cid), auth) as stream:
        stream.wait_for("mode")
        for n in range(3):
            reply(client, cid, f"reply {n} through the first process")
        messages = stream.wait_for("message", 3)
        assert [m.data["content"] for m in messages] == [
            f"reply {n} through the first process" for n in range(3)
        ]
