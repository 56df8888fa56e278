"""Erasure: a lead, a conversation, or everything of one visitor is really gone (the API, the
lists and the database rows), unsent webhook deliveries of it are cancelled with a reason the
delivery log shows, and a second visitor's data stays."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.server.support.visitors import Visitor, rows_mentioning
from tests.server.support.webhooks import Receiver, receiver
from widget.server.chat.tables import Conversation, Message
from widget.server.crm.tables import CrmAction
from widget.server.leads.tables import Lead
from widget.server.webhooks.fan_out import fan_out
from widget.server.webhooks.tables import WebhookDelivery

ADA = "I'm Ada Lovelace, reach me at ada@example.com"
BOB = "I'm Bob Stone, write to bob@example.org"
ZERO = {"conversations": 0, "messages": 0, "leads": 0, "crmActions": 0, "deliveriesCancelled": 0}


def _counts(app: FastAPI, conversation_id: str) -> tuple[int, int, int]:
    with app.state.sessions() as session:
        return (
            session.scalar(select(func.count()).where(Conversation.id == conversation_id)) or 0,
            session.scalar(select(func.count()).where(Message.conversation_id == conversation_id))
            or 0,
            session.scalar(select(func.count()).where(Lead.conversation_id == conversation_id))
            or 0,
        )


def _fan_out(app: FastAPI) -> None:
    fan_out(app.state.sessions, app.state.settings.webhook_retry_delays)


def _subscribe_everything(api: httpx.Client, receiver: Receiver) -> str:
    events = [e["event"] for e in api.get("/v1/webhook-events").json()["data"]]
    created = api.post("/v1/webhooks", json={"url": receiver.url, "events": events})
    assert created.status_code == 201, created.text
    endpoint_id: str = created.json()["id"]
    return endpoint_id


def test_deleting_a_conversation_removes_it_and_its_lead_and_nothing_else(
    api: httpx.Client, quiet_app: FastAPI
) -> None:
    ada, bob = Visitor(api), Visitor(api)
    ada.say(ADA)
    bob.say(BOB)

    deleted = api.delete(f"/v1/conversations/{ada.conversation_id}")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == ZERO | {"conversations": 1, "messages": 2, "leads": 1}

    # The admin API, its lists, and the visitor's own token all know nothing of it.
    assert api.get(f"/v1/conversations/{ada.conversation_id}").status_code == 404
    listed = [c["conversationId"] for c in api.get("/v1/conversations").json()["data"]]
    assert ada.conversation_id not in listed
    assert bob.conversation_id in listed
    assert [lead["email"] for lead in api.get("/v1/leads").json()["data"]] == ["bob@example.org"]
    transcript = api.get(f"/v1/conversations/{ada.conversation_id}/messages", headers=ada.auth)
    assert transcript.status_code == 404
    assert transcript.json()["error"]["code"] == "not_found"
    again = api.post(
        f"/v1/conversations/{ada.conversation_id}/messages",
        json={"content": "Hello?"},
        headers=ada.auth,
    )
    assert again.status_code == 404

    # The rows are gone, every trace of the address with them; Bob's are all there.
    assert _counts(quiet_app, ada.conversation_id) == (0, 0, 0)
    assert rows_mentioning(quiet_app, "ada@example.com") == []
    assert rows_mentioning(quiet_app, ada.conversation_id) == []
    assert _counts(quiet_app, bob.conversation_id) == (1, 2, 1)
    assert bob.say("And the price?")["reply"]["content"]

    twice = api.delete(f"/v1/conversations/{ada.conversation_id}")
    assert twice.status_code == 404
    assert twice.json()["error"]["message"] == (
        f"No conversation {ada.conversation_id!r}: it never existed or is deleted."
    )


def test_deleting_a_lead_keeps_its_conversation(api: httpx.Client, quiet_app: FastAPI) -> None:
    ada, bob = Visitor(api), Visitor(api)
    lead_id = ada.say(ADA)["leadCaptured"]["leadId"]
    bob.say(BOB)

    deleted = api.delete(f"/v1/leads/{lead_id}")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == ZERO | {"leads": 1}
    assert [lead["email"] for lead in api.get("/v1/leads").json()["data"]] == ["bob@example.org"]
    conversation = api.get(f"/v1/conversations/{ada.conversation_id}").json()
    assert conversation["lead"] is None
    assert conversation["leadId"] is None
    assert len(conversation["messages"]) == 2
    with quiet_app.state.sessions() as session:
        assert session.get(Lead, lead_id) is None
        assert session.scalar(select(Message).where(Message.captured_lead_id == lead_id)) is None

    twice = api.delete(f"/v1/leads/{lead_id}")
    assert twice.status_code == 404
    assert lead_id in twice.json()["error"]["message"]


def test_erasing_a_visitor_by_email_cancels_what_was_not_sent(
    api: httpx.Client, quiet_app: FastAPI
) -> None:
    with receiver() as hook:
        endpoint_id = _subscribe_everything(api, hook)
        put = api.put(
            "/v1/agents/ag_demo/integrations/hubspot",
            json={"apiToken": "pat-123", "baseUrl": hook.url},
        )
        assert put.status_code == 201, put.text

        first, bob = Visitor(api), Visitor(api)
        first.say(ADA)
        bob.say(BOB)
        _fan_out(quiet_app)  # these events now have pending deliveries and CRM actions
        second = Visitor(api)
        second.say("Hello again, this is ADA@Example.com")  # not fanned out yet

        erased = api.post("/v1/visitors/erase", json={"email": " Ada@example.COM "})
        assert erased.status_code == 200, erased.text
        counts = erased.json()
        assert counts | {"deliveriesCancelled": 0} == ZERO | {
            "conversations": 2,
            "messages": 4,
            "leads": 2,
        } | {"crmActions": 1}
        # Fanned out: conversation.started, 2 message.sent, lead.captured; and the same four
        # of the second conversation, fanned out now as cancelled deliveries.
        assert counts["deliveriesCancelled"] == 8

        log = api.get(f"/v1/webhooks/{endpoint_id}/deliveries", params={"limit": 100})
        deliveries = log.json()["data"]
        cancelled = [d for d in deliveries if d["status"] == "cancelled"]
        assert len(cancelled) == 8
        assert {d["cancelReason"] for d in cancelled} == {"erased: a visitor's erasure request"}
        assert all(d["nextAttemptAt"] is None and d["finishedAt"] for d in cancelled)
        pending = [d for d in deliveries if d["status"] == "pending"]
        assert len(pending) == 4  # Bob's
        assert all(d["cancelReason"] is None for d in pending)
        shown = api.get(f"/v1/webhooks/{endpoint_id}/deliveries/{cancelled[0]['id']}").json()
        assert shown["body"] == '{"erased":true}'
        refused = api.post(f"/v1/webhooks/{endpoint_id}/deliveries/{cancelled[0]['id']}/redeliver")
        assert refused.status_code == 409
        assert "erased" in refused.json()["error"]["message"]
        assert api.get(
            f"/v1/webhooks/{endpoint_id}/deliveries", params={"status": "cancelled"}
        ).json()["data"] == sorted(cancelled, key=lambda d: deliveries.index(d))

        # Nothing of Ada is left anywhere; Bob's lead still goes to the CRM.
        for text in ("ada@example.com", "Ada Lovelace", first.conversation_id):
            assert rows_mentioning(quiet_app, text) == []
        assert rows_mentioning(quiet_app, "ADA@Example.com") == []
        _fan_out(quiet_app)
        with quiet_app.state.sessions() as session:
            actions = session.scalars(select(CrmAction)).all()
            assert [a.lead["email"] for a in actions] == ["bob@example.org"]
            assert (
                session.scalar(select(func.count()).where(WebhookDelivery.status == "pending")) == 4
            )
        assert [lead["email"] for lead in api.get("/v1/leads").json()["data"]] == [
            "bob@example.org"
        ]
        assert hook.received() == []

        assert api.post("/v1/visitors/erase", json={"email": "ada@example.com"}).json() == ZERO


def test_erasing_by_conversation_and_what_the_request_must_name(
    api: httpx.Client, quiet_app: FastAPI
) -> None:
    ada, bob = Visitor(api), Visitor(api)
    ada.say("What does it cost?")
    bob.say(BOB)
    erased = api.post("/v1/visitors/erase", json={"conversationId": ada.conversation_id})
    assert erased.json() == ZERO | {"conversations": 1, "messages": 2}
    assert _counts(quiet_app, ada.conversation_id) == (0, 0, 0)
    assert _counts(quiet_app, bob.conversation_id) == (1, 2, 1)
    again = api.post("/v1/visitors/erase", json={"conversationId": ada.conversation_id})
    assert again.status_code == 200
    assert again.json() == ZERO

    for body, message in [
        ({}, "give exactly one of email or conversationId"),
        (
            {"email": "a@example.com", "conversationId": "conv_x"},
            "give exactly one of email or conversationId (got email and conversationId)",
        ),
        ({"email": "  "}, "email: must not be blank"),
        ({"email": "a@example.com", "name": "x"}, "name: Extra inputs are not permitted"),
    ]:
        refused = api.post("/v1/visitors/erase", json=body)
        assert refused.status_code == 422, body
        assert message in refused.json()["error"]["message"], refused.json()
    assert (
        api.post(
            "/v1/visitors/erase",
            json={"email": "x@example.com"},
            headers={"Authorization": "Bearer wrong"},
        ).status_code
        == 401
    )
