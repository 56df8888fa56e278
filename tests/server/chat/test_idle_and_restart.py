"""Conversations nobody writes in end by themselves; a restart keeps everything and seeds once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.server.conftest import LoopbackServer, on_both_databases, wait_until
from widget.server.agents.tables import Agent, KnowledgeChunk, Training
from widget.server.app import create_app
from widget.server.chat.idle import IdleSweeper
from widget.server.core.config import Settings
from widget.server.core.db import utcnow

pytestmark = on_both_databases

Outbox = Callable[[], list[tuple[str, dict[str, Any]]]]
Start = Callable[..., tuple[str, dict[str, str]]]


def test_the_sweeper_ends_idle_conversations_once(
    app: FastAPI, client: httpx.Client, start: Start, outbox: Outbox
) -> None:
    sweeper = IdleSweeper(app.state.sessions, idle_minutes=30)
    talked_id, talked_auth = start()
    client.post(
        f"/v1/conversations/{talked_id}/messages", headers=talked_auth, json={"content": "hi"}
    )
    silent_id, _ = start()

    assert sweeper.sweep() == []  # nobody has been idle for 30 minutes yet
    later = utcnow() + timedelta(minutes=31)
    assert sorted(sweeper.sweep(later)) == sorted([talked_id, silent_id])
    assert sweeper.sweep(later + timedelta(minutes=5)) == []

    ended = [data for name, data in outbox() if name == "conversation.ended"]
    # Only the conversation that started (had a message) announces its end.
    assert [data["conversationId"] for data in ended] == [talked_id]
    transcript = client.get(f"/v1/conversations/{talked_id}/messages", headers=talked_auth)
    assert transcript.json()["ended"] is True


def test_the_idle_sweeper_runs_in_the_background(settings: Settings, outbox: Outbox) -> None:
    # 0.001 minutes: any conversation is idle by the sweeper's next round.
    app = create_app(dataclasses.replace(settings, conversation_idle_minutes=0.001))
    with LoopbackServer(app) as server, httpx.Client(base_url=server.url) as client:
        body = client.post("/v1/conversations", json={"agentId": "ag_demo"}).json()
        auth = {"Authorization": f"Bearer {body['visitorToken']}"}
        url = f"/v1/conversations/{body['conversationId']}"
        client.post(f"{url}/messages", headers=auth, json={"content": "hello"})
        wait_until(
            lambda: client.get(f"{url}/messages", headers=auth).json()["ended"],
            what="the idle conversation to end",
        )
    assert [name for name, _ in outbox()].count("conversation.ended") == 1


def test_a_restart_keeps_data_and_seeds_the_demo_once(settings: Settings) -> None:
    first = create_app(settings)
    with LoopbackServer(first) as server, httpx.Client(base_url=server.url) as client:
        body = client.post("/v1/conversations", json={"agentId": "ag_demo"}).json()
        auth = {"Authorization": f"Bearer {body['visitorToken']}"}
        url = f"/v1/conversations/{body['conversationId']}/messages"
        client.post(url, headers=auth, json={"content": "What is Parley?"})

    second = create_app(settings)
    with LoopbackServer(second) as server, httpx.Client(base_url=server.url) as client:
        messages = client.get(url, headers=auth).json()["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"]

    with second.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Agent)) == 1
        assert session.scalar(select(func.count()).select_from(Training)) == 1
        training = session.scalars(select(Training)).one()
        assert (training.source, training.status) == ("demo", "completed")
        chunks = session.scalar(select(func.count()).select_from(KnowledgeChunk))
        assert chunks == training.data_count
        assert chunks is not None and chunks > 0
