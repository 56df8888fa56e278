"""The public chat API as the frame uses it, against the real app over loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.server.conftest import on_both_databases
from widget.agent.core import AgentReply
from widget.agent.leads import LeadDetails
from widget.server.chat.schemas import SendMessageIn
from widget.server.chat.service import record_reply
from widget.server.chat.tables import Message
from widget.server.core.db import transaction, utcnow

pytestmark = on_both_databases

Start = Callable[..., tuple[str, dict[str, str]]]
Outbox = Callable[[], list[tuple[str, dict[str, Any]]]]


def send(
    client: httpx.Client, conversation_id: str, auth: dict[str, str], content: str, **extra: Any
) -> httpx.Response:
    return client.post(
        f"/v1/conversations/{conversation_id}/messages",
        json={"content": content, **extra},
        headers=auth,
    )


def test_a_conversation_from_start_to_transcript(client: httpx.Client, start: Start) -> None:
    conversation_id, auth = start()
    assert conversation_id.startswith("conv_")

    response = send(client, conversation_id, auth, "How do I install the widget?")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"reply", "leadCaptured", "mode", "handoffOffered"}  # the last two: added
    assert body["leadCaptured"] is None
    assert (body["mode"], body["handoffOffered"]) == ("agent", False)
    reply = body["reply"]
    assert set(reply) == {"messageId", "content", "createdAt", "sources"}  # sources: added
    assert reply["messageId"].startswith("msg_")
    assert "snippet" in reply["content"]
    assert reply["createdAt"].endswith("Z")

    transcript = client.get(f"/v1/conversations/{conversation_id}/messages", headers=auth)
    assert transcript.status_code == 200
    assert transcript.json()["conversationId"] == conversation_id
    assert transcript.json()["ended"] is False
    messages = transcript.json()["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "How do I install the widget?"),
        ("assistant", reply["content"]),
    ]
    assert messages[1]["messageId"] == reply["messageId"]


def test_unknown_agent_is_404(client: httpx.Client) -> None:
    response = client.post("/v1/conversations", json={"agentId": "ag_nobody"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "ag_nobody" in response.json()["error"]["message"]


def test_visitor_tokens_are_checked(client: httpx.Client, start: Start) -> None:
    conversation_id, auth = start()
    _other_id, other_auth = start()
    paths = [
        ("POST", f"/v1/conversations/{conversation_id}/messages", {"content": "hello"}),
        ("GET", f"/v1/conversations/{conversation_id}/messages", None),
        ("POST", f"/v1/conversations/{conversation_id}/end", None),
    ]
    for method, path, body in paths:
        missing = client.request(method, path, json=body)
        assert missing.status_code == 401, path
        assert missing.json()["error"]["code"] == "unauthorized"
        assert missing.headers["www-authenticate"] == "Bearer"

        foreign = client.request(method, path, json=body, headers=other_auth)
        assert foreign.status_code == 403, path
        assert foreign.json()["error"]["code"] == "forbidden"

        made_up = client.request(method, path, json=body, headers={"Authorization": "Bearer x"})
        assert made_up.status_code == 403, path

    # Nothing the refused calls sent was stored, and the conversation is still open.
    transcript = client.get(f"/v1/conversations/{conversation_id}/messages", headers=auth).json()
    assert transcript == {
        "conversationId": conversation_id,
        "messages": [],
        "ended": False,
        "mode": "agent",
    }

    unknown = client.get("/v1/conversations/conv_nope/messages", headers=auth)
    assert unknown.status_code == 404


def test_bad_messages_get_clear_errors(client: httpx.Client, start: Start) -> None:
    conversation_id, auth = start()
    url = f"/v1/conversations/{conversation_id}/messages"

    too_long = send(client, conversation_id, auth, "x" * 4001)
    assert too_long.status_code == 422
    error = too_long.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("content:")
    assert "4,000" in error["message"]

    for blank in ["", "   \n\t"]:
        response = send(client, conversation_id, auth, blank)
        assert response.status_code == 422
        assert response.json()["error"]["message"] == "content: must not be empty or blank"

    missing = client.post(url, json={"text": "hi"}, headers=auth)
    assert missing.status_code == 422
    assert "content: Field required" in missing.json()["error"]["message"]

    malformed = client.post(
        url, content=b'{"content": "hi"', headers={**auth, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "malformed_json"

    not_json = client.post(url, content=b"hi", headers={**auth, "Content-Type": "text/plain"})
    assert not_json.status_code == 415
    assert "application/json" in not_json.json()["error"]["message"]

    at_limit = send(client, conversation_id, auth, "y" * 4000)
    assert at_limit.status_code == 200

    transcript = client.get(url, headers=auth).json()["messages"]
    assert [m["content"] for m in transcript if m["role"] == "user"] == ["y" * 4000]


def test_more_than_20_messages_a_minute_is_429(client: httpx.Client, start: Start) -> None:
    conversation_id, auth = start()
    for n in range(20):
        assert send(client, conversation_id, auth, f"question {n}").status_code == 200
    refused = send(client, conversation_id, auth, "one too many")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60

    transcript = client.get(f"/v1/conversations/{conversation_id}/messages", headers=auth)
    assert "one too many" not in [m["content"] for m in transcript.json()["messages"]]
    # The limit is per conversation.
    other_id, other_auth = start()
    assert send(client, other_id, other_auth, "hello").status_code == 200


def test_a_retry_returns_the_stored_reply_and_stores_nothing(
    client: httpx.Client, start: Start, outbox: Outbox
) -> None:
    conversation_id, auth = start()
    first = send(client, conversation_id, auth, "What does it cost?", clientMessageId="c-1")
    assert first.status_code == 200
    events_after_first = outbox()

    retry = send(client, conversation_id, auth, "What does it cost?", clientMessageId="c-1")
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert outbox() == events_after_first

    transcript = client.get(f"/v1/conversations/{conversation_id}/messages", headers=auth)
    assert len(transcript.json()["messages"]) == 2

    # The same id in another conversation is another message.
    other_id, other_auth = start()
    other = send(client, other_id, other_auth, "What does it cost?", clientMessageId="c-1")
    assert other.json()["reply"]["messageId"] != first.json()["reply"]["messageId"]


def test_a_retry_after_the_conversation_ended_still_gets_its_reply(
    client: httpx.Client, start: Start
) -> None:
    conversation_id, auth = start()
    first = send(client, conversation_id, auth, "hello", clientMessageId="c-1")
    client.post(f"/v1/conversations/{conversation_id}/end", headers=auth)
    retry = send(client, conversation_id, auth, "hello", clientMessageId="c-1")
    assert retry.status_code == 200
    assert retry.json() == first.json()


def test_one_lead_per_conversation_later_details_update_it(
    client: httpx.Client, start: Start, outbox: Outbox, admin: dict[str, str]
) -> None:
    conversation_id, auth = start()
    send(client, conversation_id, auth, "Can I get a demo?")
    captured = send(client, conversation_id, auth, "I'm Jane Doe from Acme, jane@acme.example")
    lead_ref = captured.json()["leadCaptured"]
    assert lead_ref is not None and lead_ref["leadId"].startswith("lead_")

    later = send(client, conversation_id, auth, "My phone number is +1 555 123 4567")
    assert later.json()["leadCaptured"] is None
    again = send(client, conversation_id, auth, "Or write to jane.doe@acme.example")
    assert again.json()["leadCaptured"] is None

    leads = client.get("/v1/leads", headers=admin).json()["data"]
    assert len(leads) == 1
    lead = leads[0]
    assert lead["leadId"] == lead_ref["leadId"]
    assert lead["conversationId"] == conversation_id
    assert lead["name"] == "Jane Doe"
    assert lead["companyName"] == "Acme"
    assert lead["phone"] == "+1 555 123 4567"
    assert lead["email"] == "jane.doe@acme.example"
    assert lead["message"] == "Can I get a demo?"

    captured_events = [data for name, data in outbox() if name == "lead.captured"]
    assert len(captured_events) == 1
    assert captured_events[0]["leadId"] == lead_ref["leadId"]
    assert captured_events[0]["email"] == "jane@acme.example"
    assert captured_events[0]["companyName"] == "Acme"


def test_leads_search(client: httpx.Client, start: Start, admin: dict[str, str]) -> None:
    for email in ["ann@alpha.example", "bob@beta.example"]:
        conversation_id, auth = start()
        send(client, conversation_id, auth, f"Please contact me at {email}")
    found = client.get("/v1/leads", params={"q": "BETA"}, headers=admin).json()["data"]
    assert [lead["email"] for lead in found] == ["bob@beta.example"]
    by_agent = client.get("/v1/leads", params={"agentId": "ag_other"}, headers=admin)
    assert by_agent.json()["data"] == []
    assert client.get("/v1/leads").status_code == 401


def test_events_are_raised_in_order_with_the_seed_fields(
    client: httpx.Client, start: Start, outbox: Outbox
) -> None:
    conversation_id, auth = start()
    assert outbox() == []  # creating the conversation raises nothing yet

    first = send(client, conversation_id, auth, "Hello there").json()
    send(client, conversation_id, auth, "Write to me at sam@example.org")
    client.post(f"/v1/conversations/{conversation_id}/end", headers=auth)

    events = outbox()
    assert [name for name, _ in events] == [
        "conversation.started",
        "message.sent",
        "message.sent",
        "message.sent",
        "message.sent",
        "lead.captured",
        "conversation.ended",
    ]
    started = events[0][1]
    assert set(started) == {"conversationId", "agentId", "createdAt"}
    assert started["conversationId"] == conversation_id
    assert started["agentId"] == "ag_demo"
    user, assistant = events[1][1], events[2][1]
    assert set(user) == {
        "messageId",
        "conversationId",
        "agentId",
        "role",
        "content",
        "createdAt",
        "author",
    }  # fmt: skip  (author: added beside the seed's fields)
    assert (user["role"], user["content"]) == ("user", "Hello there")
    assert user["author"] == {"kind": "visitor", "name": None}
    assert assistant["role"] == "assistant"
    assert assistant["author"] == {"kind": "agent", "name": None}
    assert assistant["messageId"] == first["reply"]["messageId"]
    assert assistant["content"] == first["reply"]["content"]
    assert set(events[6][1]) == {"conversationId", "agentId", "endedAt"}


def test_events_are_not_written_when_the_transaction_rolls_back(
    app: FastAPI, client: httpx.Client, start: Start, outbox: Outbox
) -> None:
    conversation_id, _auth = start()
    reply = AgentReply(content="Noted.", lead=LeadDetails(email="kim@example.org"))

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction(app.state.sessions) as session:
        record_reply(
            session, conversation_id, SendMessageIn(content="kim@example.org"), reply, utcnow()
        )
        session.flush()
        assert len(outbox()) == 0  # another connection does not see uncommitted rows
        raise Abort

    assert outbox() == []
    with app.state.sessions() as session:
        assert session.scalar(select(func.count(Message.seq))) == 0


def test_ending_a_conversation(client: httpx.Client, start: Start, outbox: Outbox) -> None:
    silent_id, silent_auth = start()
    ended = client.post(f"/v1/conversations/{silent_id}/end", headers=silent_auth)
    assert ended.status_code == 200
    # It never started (no message), so there is nothing to announce as ended.
    assert outbox() == []

    conversation_id, auth = start()
    send(client, conversation_id, auth, "hi")
    first = client.post(f"/v1/conversations/{conversation_id}/end", headers=auth)
    assert first.status_code == 200
    assert first.json()["conversationId"] == conversation_id
    second = client.post(f"/v1/conversations/{conversation_id}/end", headers=auth)
    assert second.json() == first.json()
    assert [name for name, _ in outbox()].count("conversation.ended") == 1

    refused = send(client, conversation_id, auth, "still there?")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conversation_ended"
    transcript = client.get(f"/v1/conversations/{conversation_id}/messages", headers=auth)
    assert transcript.json()["ended"] is True
    assert len(transcript.json()["messages"]) == 2


def test_public_agent_details(client: httpx.Client) -> None:
    body = client.get("/v1/agents/ag_demo/public").json()
    assert body["agentId"] == "ag_demo"
    assert body["name"]
    assert body["welcomeMessage"]
    assert "prompt" not in body
    assert client.get("/v1/agents/ag_nobody/public").status_code == 404


def test_admin_sees_conversations(
    client: httpx.Client, start: Start, admin: dict[str, str]
) -> None:
    conversation_id, auth = start()
    send(client, conversation_id, auth, "Reach me at lee@example.org")
    listed = client.get("/v1/conversations", headers=admin).json()["data"]
    assert [c["conversationId"] for c in listed] == [conversation_id]
    assert listed[0]["messageCount"] == 2
    assert listed[0]["leadId"].startswith("lead_")

    detail = client.get(f"/v1/conversations/{conversation_id}", headers=admin).json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]
    assert detail["lead"]["email"] == "lee@example.org"
    assert client.get("/v1/conversations", headers=auth).status_code == 401
    assert client.get("/v1/conversations/conv_nope", headers=admin).status_code == 404


def test_simultaneous_retries_store_one_message(
    client: httpx.Client, start: Start, outbox: Outbox
) -> None:
    conversation_id, auth = start()
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(
            pool.map(
                lambda _: send(client, conversation_id, auth, "Hello?", clientMessageId="same"),
                range(4),
            )
        )
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["reply"]["messageId"] for r in responses}) == 1
    transcript = client.get(f"/v1/conversations/{conversation_id}/messages", headers=auth)
    assert len(transcript.json()["messages"]) == 2
    assert [name for name, _ in outbox()] == [
        "conversation.started",
        "message.sent",
        "message.sent",
    ]


def test_a_colleagues_address_is_noted_and_never_replaces_the_visitors(
    client: httpx.Client, start: Start, admin: dict[str, str]
) -> None:
    conversation_id, auth = start()
    send(client, conversation_id, auth, "I'm Jane Doe from Acme Inc, reach me at jane@example.com")
    colleague = send(client, conversation_id, auth, "Actually my colleague is bob@example.com")
    assert "updated your email" not in colleague.json()["reply"]["content"]
    assert "jane@example.com" in colleague.json()["reply"]["content"]

    (lead,) = client.get("/v1/leads", headers=admin).json()["data"]
    assert (lead["email"], lead["name"], lead["companyName"]) == (
        "jane@example.com",
        "Jane Doe",
        "Acme Inc",
    )
    assert lead["notes"] == "bob@example.com: someone else's address, given by the visitor"

    corrected = send(client, conversation_id, auth, "Sorry, my email is jane.doe@example.com")
    assert "updated your email address" in corrected.json()["reply"]["content"]
    (lead,) = client.get("/v1/leads", headers=admin).json()["data"]
    assert lead["email"] == "jane.doe@example.com"
    assert lead["notes"] == "bob@example.com: someone else's address, given by the visitor"
