"""Access: everything stored about one visitor, in the fields the rest of the API shows."""

from __future__ import annotations

import httpx

from tests.server.support.visitors import Visitor


def test_export_by_email_holds_every_conversation_and_lead_of_the_visitor(
    api: httpx.Client,
) -> None:
    first, other, second = Visitor(api), Visitor(api), Visitor(api)
    first.say("Hi, I'm Ada Lovelace, ada@example.com")
    other.say("I'm Bob Stone, bob@example.org")
    second.say("Ada again: ADA@example.com, what does it cost?")

    exported = api.get("/v1/visitors/export", params={"email": "ada@example.com"})
    assert exported.status_code == 200, exported.text
    body = exported.json()
    assert set(body) == {"conversations", "leads"}
    ids = [c["conversationId"] for c in body["conversations"]]
    assert ids == [first.conversation_id, second.conversation_id]
    # Each conversation exactly as GET /v1/conversations/{id} shows it, each lead as GET /v1/leads.
    for conversation in body["conversations"]:
        shown = api.get(f"/v1/conversations/{conversation['conversationId']}").json()
        assert conversation == shown
        assert [m["role"] for m in conversation["messages"]] == ["user", "assistant"]
    leads = {lead["leadId"]: lead for lead in api.get("/v1/leads").json()["data"]}
    assert body["leads"] == [leads[lead["leadId"]] for lead in body["leads"]]
    assert [lead["email"].lower() for lead in body["leads"]] == ["ada@example.com"] * 2
    assert "bob@example.org" not in exported.text

    by_conversation = api.get(
        "/v1/visitors/export", params={"conversationId": other.conversation_id}
    )
    assert [c["conversationId"] for c in by_conversation.json()["conversations"]] == [
        other.conversation_id
    ]
    assert [lead["email"] for lead in by_conversation.json()["leads"]] == ["bob@example.org"]


def test_export_names_exactly_one_visitor(api: httpx.Client) -> None:
    nobody = api.get("/v1/visitors/export", params={"email": "nobody@example.com"})
    assert nobody.json() == {"conversations": [], "leads": []}
    for params in [{}, {"email": "a@example.com", "conversationId": "conv_x"}]:
        refused = api.get("/v1/visitors/export", params=params)
        assert refused.status_code == 422
        assert refused.json()["error"] == {
            "code": "invalid_request",
            "message": "Give exactly one of the query parameters email or conversationId.",
        }
    assert (
        api.get(
            "/v1/visitors/export",
            params={"email": "a@b.c"},
            headers={"Authorization": "Bearer nope"},
        ).status_code
        == 401
    )
