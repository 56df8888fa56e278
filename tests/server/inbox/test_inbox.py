"""The owner's inbox: open conversations, waiting ones first (the longest wait first), then those
a person handles, then the rest; and its stream, which announces every change."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from tests.server.conftest import LoopbackServer, on_both_databases
from tests.server.support.sse import EventReader
from widget.server.app import create_app
from widget.server.core.config import Settings

pytestmark = on_both_databases

Start = Callable[..., tuple[str, dict[str, str]]]


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(Settings(**{**settings.__dict__, "stream_heartbeat_seconds": 0.5}))


def say(client: httpx.Client, cid: str, auth: dict[str, str], text: str) -> None:
    sent = client.post(f"/v1/conversations/{cid}/messages", json={"content": text}, headers=auth)
    assert sent.status_code == 200, sent.text


def test_waiting_conversations_come_first_then_a_persons_then_the_rest(
    client: httpx.Client, start: Start, admin: dict[str, str]
) -> None:
    ids = {}
    for name in ("quiet", "waited-first", "person", "waited-second", "recent"):
        cid, auth = start()
        say(client, cid, auth, f"Hello from {name}")
        ids[name] = (cid, auth)
        if name.startswith("waited"):
            client.post(f"/v1/conversations/{cid}/handoff", headers=auth, json={})
        if name == "person":
            client.post(f"/v1/conversations/{cid}/replies", headers=admin, json={"content": "Hi!"})
    empty, _ = start()  # no message yet: nothing to look at
    ended, ended_auth = start()
    say(client, ended, ended_auth, "Bye")
    client.post(f"/v1/conversations/{ended}/end", headers=ended_auth)

    inbox = client.get("/v1/inbox", headers=admin)
    assert inbox.status_code == 200, inbox.text
    items = inbox.json()["data"]
    order = [next(n for n, (cid, _) in ids.items() if cid == i["conversationId"]) for i in items]
    assert order == ["waited-first", "waited-second", "person", "recent", "quiet"]
    first = items[0]
    assert first["mode"] == "waiting"
    assert first["waitingSince"].endswith("Z")
    assert first["messageCount"] == 3  # the message, its reply, the handoff notice
    assert first["lastMessage"]["role"] == "assistant"
    assert items[2]["mode"] == "person" and items[2]["waitingSince"] is None
    assert {empty, ended}.isdisjoint(i["conversationId"] for i in items)

    page = client.get("/v1/inbox?limit=2&offset=1&agentId=ag_demo", headers=admin).json()["data"]
    assert [i["conversationId"] for i in page] == [i["conversationId"] for i in items[1:3]]
    assert client.get("/v1/inbox?agentId=ag_other", headers=admin).json() == {"data": []}
    assert client.get("/v1/inbox").status_code == 401


def test_the_inbox_stream_announces_every_change(
    server: LoopbackServer, client: httpx.Client, start: Start, admin: dict[str, str]
) -> None:
    cid, auth = start()
    with EventReader(f"{server.url}/v1/inbox/stream", admin) as inbox:
        assert inbox.status == 200
        say(client, cid, auth, "Hello")
        assert inbox.wait_for("conversation")[-1].data["messageCount"] == 2
        client.post(f"/v1/conversations/{cid}/handoff", headers=auth, json={})
        assert inbox.wait_for("conversation", 2)[-1].data["mode"] == "waiting"
        client.post(f"/v1/conversations/{cid}/replies", headers=admin, json={"content": "Hi"})
        assert inbox.wait_for("conversation", 3)[-1].data["mode"] == "person"
        client.post(f"/v1/conversations/{cid}/handback", headers=admin)
        assert inbox.wait_for("conversation", 4)[-1].data["mode"] == "agent"
        client.post(f"/v1/conversations/{cid}/close", headers=admin)
        closed = inbox.wait_for("conversation", 5)[-1]
        assert closed.data["endedAt"] is not None
        ids = [e.id for e in inbox.named("conversation")]
        assert len(set(ids)) == len(ids)
    # Resuming after the second event sends what changed after it, once.
    resume = {**admin, "Last-Event-ID": ids[1] or ""}
    with EventReader(f"{server.url}/v1/inbox/stream", resume) as again:
        (latest,) = again.wait_for("conversation")
        assert latest.data["conversationId"] == cid
        assert latest.data["endedAt"] is not None
    with EventReader(f"{server.url}/v1/inbox/stream") as refused:
        assert refused.status == 401
