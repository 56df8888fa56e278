"""Verified identities (widget.identify): the server checks HMAC-SHA256(identity secret, userId),
refuses impersonation, links conversations and leads to the user, and resumes the user's open
conversation on another device."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from widget.server.leads.tables import Lead

LEAD = "Great. I'm Jane Doe from Acme Inc, jane@acme.example, +1 415 555 0100"


def secret(client: httpx.Client, admin: dict[str, str], agent: str = "ag_demo") -> str:
    response = client.get(f"/v1/agents/{agent}/identity-secret", headers=admin)
    assert response.status_code == 200, response.text
    value: str = response.json()["identitySecret"]
    return value


def signed(key: str, user_id: str) -> str:
    return hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def start(client: httpx.Client, identity: dict[str, Any]) -> httpx.Response:
    return client.post("/v1/conversations", json={"agentId": "ag_demo", "identity": identity})


def test_a_verified_user_resumes_their_conversation_on_another_device(
    client: httpx.Client, admin: dict[str, str], app: FastAPI
) -> None:
    key = secret(client, admin)
    assert secret(client, admin) == key  # made once, then kept
    identity = {"userId": "u_42", "userHash": signed(key, "u_42"), "email": "jane@acme.example"}
    first = start(client, identity)
    assert first.status_code == 201, first.text
    assert first.json()["resumed"] is False
    conversation_id = first.json()["conversationId"]
    auth = {"Authorization": f"Bearer {first.json()['visitorToken']}"}
    sent = client.post(
        f"/v1/conversations/{conversation_id}/messages", json={"content": LEAD}, headers=auth
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["leadCaptured"] is not None

    other = start(client, identity)  # the same user, another browser
    assert other.status_code == 201, other.text
    assert other.json()["conversationId"] == conversation_id
    assert other.json()["resumed"] is True
    other_auth = {"Authorization": f"Bearer {other.json()['visitorToken']}"}
    history = client.get(f"/v1/conversations/{conversation_id}/messages", headers=other_auth)
    assert history.json()["messages"][0]["content"] == LEAD
    # Both devices keep working.
    again = client.get(f"/v1/conversations/{conversation_id}/messages", headers=auth)
    assert again.status_code == 200

    with app.state.sessions() as session:
        lead = session.scalar(select(Lead).where(Lead.conversation_id == conversation_id))
        assert lead is not None and lead.user_id == "u_42"

    # Another user never lands in it, nor does an anonymous visitor.
    stranger = start(client, {"userId": "u_7", "userHash": signed(key, "u_7")})
    assert stranger.json()["conversationId"] != conversation_id
    anonymous = client.post("/v1/conversations", json={"agentId": "ag_demo"})
    assert anonymous.json()["conversationId"] != conversation_id


def test_impersonation_is_refused(client: httpx.Client, admin: dict[str, str]) -> None:
    key = secret(client, admin)
    victim = start(client, {"userId": "u_victim", "userHash": signed(key, "u_victim")})
    assert victim.status_code == 201
    cases = [
        {"userId": "u_victim", "userHash": "0" * 64},  # a made-up hash
        {"userId": "u_victim", "userHash": signed(key, "u_attacker")},  # another user's hash
        {"userId": "u_victim", "userHash": signed("idsec_guess", "u_victim")},  # a wrong secret
        {"userId": "u_victim"},  # no hash: unverified identities are refused by default
    ]
    for identity in cases:
        response = start(client, identity)
        assert response.status_code == 403, identity
        error = response.json()["error"]
        assert error["code"] in {"identity_refused", "identity_unverified"}
        assert "HMAC-SHA256" in error["message"]


def test_rotating_the_secret_refuses_old_hashes(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    old = secret(client, admin)
    rotated = client.post("/v1/agents/ag_demo/identity-secret", headers=admin)
    assert rotated.status_code == 200
    new = rotated.json()["identitySecret"]
    assert new != old and new.startswith("idsec_")
    assert start(client, {"userId": "u_1", "userHash": signed(old, "u_1")}).status_code == 403
    assert start(client, {"userId": "u_1", "userHash": signed(new, "u_1")}).status_code == 201
    assert client.get("/v1/agents/ag_demo/identity-secret").status_code == 401  # admin only


def test_unverified_identities_only_when_the_agent_allows_them(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    assert start(client, {"userId": "u_1"}).status_code == 403
    patched = client.patch(
        "/v1/agents/ag_demo", json={"allowUnverifiedIdentity": True}, headers=admin
    )
    assert patched.status_code == 200 and patched.json()["allowUnverifiedIdentity"] is True
    assert start(client, {"userId": "u_1"}).status_code == 201
    # A hash that is given is still checked.
    assert start(client, {"userId": "u_1", "userHash": "f" * 64}).status_code == 403


def test_a_malformed_identity_gets_a_clear_4xx(client: httpx.Client) -> None:
    for identity in [{"userHash": "ab"}, {"userId": "   "}, {"userId": 42}, "u_1"]:
        response = start(client, identity)  # type: ignore[arg-type]
        assert response.status_code == 422, identity
        assert "identity" in response.text
