"""Webhook payloads of an identified visitor's conversation carry `userId` beside every field of
the specification; an anonymous visitor's payloads are exactly the specification's."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import httpx

Outbox = Callable[[], list[tuple[str, dict[str, Any]]]]
LEAD = "Great. I'm Jane Doe from Acme Inc, jane@acme.example, +1 415 555 0100"
# The specification's fields (tests/seeds/004_*), which stay exactly as they are.
SEED_FIELDS = {
    "conversation.started": {"conversationId", "agentId", "createdAt"},
    "message.sent": {"messageId", "conversationId", "agentId", "role", "content", "createdAt"},
    "lead.captured": {
        "leadId", "agentId", "name", "email", "phone", "companyName", "message", "createdAt",
    },
    "conversation.ended": {"conversationId", "agentId", "endedAt"},
}  # fmt: skip


def converse(client: httpx.Client, identity: dict[str, str] | None) -> str:
    body: dict[str, Any] = {"agentId": "ag_demo"}
    if identity:
        body["identity"] = identity
    started = client.post("/v1/conversations", json=body)
    assert started.status_code == 201, started.text
    conversation_id: str = started.json()["conversationId"]
    auth = {"Authorization": f"Bearer {started.json()['visitorToken']}"}
    path = f"/v1/conversations/{conversation_id}"
    assert client.post(f"{path}/messages", json={"content": LEAD}, headers=auth).status_code == 200
    assert client.post(f"{path}/end", headers=auth).status_code == 200
    return conversation_id


# Added beside the seed's fields whoever the visitor is: who wrote a message (the live inbox).
ADDED = {"message.sent": {"author"}}


def test_an_identified_visitors_payloads_add_user_id_and_anonymous_ones_are_the_seeds(
    client: httpx.Client, admin: dict[str, str], outbox: Outbox
) -> None:
    key = client.get("/v1/agents/ag_demo/identity-secret", headers=admin).json()["identitySecret"]
    user_hash = hmac.new(key.encode(), b"u_42", hashlib.sha256).hexdigest()
    identified = converse(client, {"userId": "u_42", "userHash": user_hash})
    identified_events = list(outbox())
    anonymous = converse(client, None)
    anonymous_events = outbox()[len(identified_events) :]

    def of(events: list[tuple[str, dict[str, Any]]], conversation_id: str) -> dict[str, Any]:
        mine: dict[str, Any] = {}
        for event, data in events:
            if (
                event in SEED_FIELDS
                and data.get("conversationId", conversation_id) == conversation_id
            ):
                mine.setdefault(event, []).append(data)
        return mine

    seen = of(identified_events, identified)
    assert set(seen) == set(SEED_FIELDS)
    for event, datas in seen.items():
        for data in datas:
            assert set(data) == SEED_FIELDS[event] | ADDED.get(event, set()) | {"userId"}, event
            assert data["userId"] == "u_42"
    bare = of(anonymous_events, anonymous)
    assert set(bare) == set(SEED_FIELDS)
    for event, datas in bare.items():
        for data in datas:
            # No userId key at all.
            assert set(data) == SEED_FIELDS[event] | ADDED.get(event, set()), event
