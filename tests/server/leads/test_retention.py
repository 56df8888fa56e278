"""Retention: an agent's `retentionDays` (off by default) makes the worker remove conversations,
with their messages and leads, idle for longer than that; nothing else goes."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from tests.server.conftest import wait_until
from tests.server.support.visitors import Visitor
from widget.server.chat.tables import Conversation
from widget.server.core.db import utcnow
from widget.server.leads.retention import RetentionWorker, sweep
from widget.server.webhooks.outbox import OutboxEvent


def _backdate(app: FastAPI, conversation_id: str, days: float) -> None:
    with app.state.sessions.begin() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(last_activity_at=utcnow() - timedelta(days=days))
        )


def _conversation_ids(api: httpx.Client) -> set[str]:
    return {c["conversationId"] for c in api.get("/v1/conversations").json()["data"]}


def test_retention_is_off_by_default_and_set_through_patch(
    api: httpx.Client, quiet_app: FastAPI
) -> None:
    created = api.post("/v1/agents", json={"name": "Shop"}).json()
    assert created["retentionDays"] is None
    assert api.get("/v1/agents/ag_demo").json()["retentionDays"] is None

    patched = api.patch(f"/v1/agents/{created['agentId']}", json={"retentionDays": 30})
    assert patched.status_code == 200, patched.text
    assert patched.json()["retentionDays"] == 30
    # Leaving it out keeps it; null turns it off; each change is in agent.updated.
    assert (
        api.patch(f"/v1/agents/{created['agentId']}", json={"name": "Shop 2"}).json()[
            "retentionDays"
        ]
        == 30
    )
    off = api.patch(f"/v1/agents/{created['agentId']}", json={"retentionDays": None})
    assert off.json()["retentionDays"] is None
    with quiet_app.state.sessions() as session:
        changes = [
            row.data_json
            for row in session.scalars(
                select(OutboxEvent).where(OutboxEvent.event == "agent.updated")
            )
        ]
    assert ['"changes":["retentionDays"]' in c for c in changes] == [True, False, True]

    for bad in [0, -1, 1.5, "30", 36_501]:
        refused = api.patch(f"/v1/agents/{created['agentId']}", json={"retentionDays": bad})
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["message"].startswith("retentionDays:")


def test_the_worker_removes_what_is_older_than_the_retention(
    api: httpx.Client, quiet_app: FastAPI
) -> None:
    shop = api.post("/v1/agents", json={"name": "Shop", "retentionDays": 30}).json()["agentId"]
    old, recent = Visitor(api, shop), Visitor(api, shop)
    old.say("I'm Ada Lovelace, ada@example.com")
    recent.say("I'm Bob Stone, bob@example.org")
    kept_elsewhere = Visitor(api)  # the demo agent keeps everything: no retention
    kept_elsewhere.say("Hello")
    _backdate(quiet_app, old.conversation_id, 31)
    _backdate(quiet_app, recent.conversation_id, 29)
    _backdate(quiet_app, kept_elsewhere.conversation_id, 400)

    erased = sweep(quiet_app.state.sessions)
    assert (erased.conversations, erased.messages, erased.leads) == (1, 2, 1)
    assert _conversation_ids(api) == {recent.conversation_id, kept_elsewhere.conversation_id}
    assert [lead["email"] for lead in api.get("/v1/leads").json()["data"]] == ["bob@example.org"]
    assert sweep(quiet_app.state.sessions).conversations == 0

    # The worker sweeps on its own, periodically.
    _backdate(quiet_app, recent.conversation_id, 45)
    worker = RetentionWorker(quiet_app.state.sessions, interval_seconds=0.05)
    worker.start()
    try:
        wait_until(
            lambda: _conversation_ids(api) == {kept_elsewhere.conversation_id},
            what="the retention worker",
        )
    finally:
        worker.stop()
    assert api.get("/v1/leads").json() == {"data": []}
