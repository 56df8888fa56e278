"""Asking for a person: by the visible action and by plain phrases; the AI silent while a person
is asked for or has the conversation; the agent offering a person when it cannot answer; a
person's reply (webhook with its author), hand back, close, and nobody-there after the wait."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from tests.server.conftest import on_both_databases
from tests.server.support.sse import EventReader
from widget.agent.core import RuleAgent
from widget.server.app import create_app
from widget.server.chat.tables import Conversation
from widget.server.chat.unanswered import sweep
from widget.server.core.config import Settings
from widget.server.core.db import transaction, utcnow

pytestmark = on_both_databases

Start = Callable[..., tuple[str, dict[str, str]]]
Outbox = Callable[[], list[tuple[str, dict[str, Any]]]]


class CountingAgent(RuleAgent):
    """The rule agent, counting how often it is asked."""

    def __init__(self) -> None:
        self.calls = 0

    async def reply(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return await super().reply(*args, **kwargs)


@pytest.fixture
def agent() -> CountingAgent:
    return CountingAgent()


@pytest.fixture
def app(settings: Settings, agent: CountingAgent) -> FastAPI:
    # Small live intervals: the nobody-there worker looks every 0.1 s.
    fast = Settings(**{**settings.__dict__, "unanswered_poll_seconds": 0.1})
    return create_app(fast, agent=agent)


def send(client: httpx.Client, cid: str, auth: dict[str, str], text: str, **extra: Any) -> Any:
    response = client.post(
        f"/v1/conversations/{cid}/messages", json={"content": text, **extra}, headers=auth
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_visible_action_asks_for_a_person_once(
    client: httpx.Client, start: Start, agent: CountingAgent, admin: dict[str, str]
) -> None:
    cid, auth = start()
    send(client, cid, auth, "Hallo, was kostet das?")
    asked = client.post(f"/v1/conversations/{cid}/handoff", headers=auth, json={})
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert body["mode"] == "waiting"
    notice = body["message"]
    assert notice["role"] == "assistant"
    assert notice["author"] == {"kind": "agent", "name": None}
    assert "Team" in notice["content"]  # German: the conversation's language
    again = client.post(f"/v1/conversations/{cid}/handoff", headers=auth, json={})
    assert again.json() == {"mode": "waiting", "message": None}

    transcript = client.get(f"/v1/conversations/{cid}/messages", headers=auth).json()
    assert transcript["mode"] == "waiting"
    assert [m["author"]["kind"] for m in transcript["messages"]] == ["visitor", "agent", "agent"]
    assert [int(m["eventId"]) for m in transcript["messages"]] == sorted(
        int(m["eventId"]) for m in transcript["messages"]
    )
    detail = client.get(f"/v1/conversations/{cid}", headers=admin).json()
    assert detail["mode"] == "waiting"
    assert detail["messages"][0]["author"] == {"kind": "visitor", "name": None}


@pytest.mark.parametrize(
    ("phrase", "words"),
    [
        ("Can I talk to a human?", "our team"),
        ("Ich möchte mit einem Menschen sprechen", "unserem Team"),
    ],
)
def test_a_plain_phrase_asks_for_a_person_without_the_ai(
    client: httpx.Client, start: Start, agent: CountingAgent, phrase: str, words: str
) -> None:
    cid, auth = start()
    body = send(client, cid, auth, phrase)
    assert body["mode"] == "waiting"
    assert words in body["reply"]["content"]
    assert agent.calls == 0


def test_the_ai_is_silent_while_waiting_and_while_a_person_has_it(
    client: httpx.Client,
    start: Start,
    agent: CountingAgent,
    admin: dict[str, str],
    outbox: Outbox,
) -> None:
    cid, auth = start()
    client.post(f"/v1/conversations/{cid}/handoff", headers=auth, json={})
    waiting = send(client, cid, auth, "Hello? Anyone?", clientMessageId="c-1")
    assert waiting == {
        "reply": None,
        "leadCaptured": None,
        "mode": "waiting",
        "handoffOffered": False,
    }
    # A retry of the same message gets the stored answer and stores nothing more.
    assert send(client, cid, auth, "Hello? Anyone?", clientMessageId="c-1") == waiting

    replied = client.post(
        f"/v1/conversations/{cid}/replies",
        headers=admin,
        json={"content": "Hi, Ada here. How can I help?", "authorName": "Ada"},
    )
    assert replied.status_code == 201, replied.text
    assert replied.json()["author"] == {"kind": "person", "name": "Ada"}
    assert send(client, cid, auth, "What does it cost?")["mode"] == "person"
    assert agent.calls == 0

    sent = [data for name, data in outbox() if name == "message.sent"]
    assert [(d["role"], d["author"]["kind"]) for d in sent] == [
        ("assistant", "agent"),  # the handoff notice
        ("user", "visitor"),
        ("assistant", "person"),
        ("user", "visitor"),
    ]
    assert sent[2]["author"] == {"kind": "person", "name": "Ada"}
    assert sent[2]["content"] == "Hi, Ada here. How can I help?"
    assert [name for name, _ in outbox()].count("conversation.started") == 1

    handed = client.post(f"/v1/conversations/{cid}/handback", headers=admin)
    assert handed.json() == {"mode": "agent"}
    answered = send(client, cid, auth, "How do I install the widget?")
    assert answered["mode"] == "agent"
    assert answered["reply"]["content"]
    assert agent.calls == 1


def test_the_agent_offers_a_person_when_it_cannot_answer(
    client: httpx.Client, start: Start
) -> None:
    cid, auth = start()
    body = send(client, cid, auth, "What is the airspeed velocity of an unladen swallow?")
    assert body["handoffOffered"] is True
    assert "person" in body["reply"]["content"]
    assert send(client, cid, auth, "How do I install the widget?")["handoffOffered"] is False


def test_closing_ends_the_conversation_for_everyone(
    client: httpx.Client, start: Start, admin: dict[str, str], outbox: Outbox
) -> None:
    cid, auth = start()
    send(client, cid, auth, "Hello")
    closed = client.post(f"/v1/conversations/{cid}/close", headers=admin)
    assert closed.status_code == 200, closed.text
    assert closed.json()["endedAt"].endswith("Z")
    assert [name for name, _ in outbox()].count("conversation.ended") == 1
    for path, headers, body in [
        (f"/v1/conversations/{cid}/replies", admin, {"content": "Too late?"}),
        (f"/v1/conversations/{cid}/messages", auth, {"content": "Still there?"}),
        (f"/v1/conversations/{cid}/handoff", auth, {}),
    ]:
        refused = client.post(path, headers=headers, json=body)
        assert refused.status_code == 409, (path, refused.text)
        assert refused.json()["error"]["code"] == "conversation_ended"


def test_nobody_there_after_the_wait_goes_back_to_the_agent_and_its_lead_flow(
    app: FastAPI,
    client: httpx.Client,
    server: Any,
    start: Start,
    admin: dict[str, str],
    outbox: Outbox,
) -> None:
    patched = client.patch("/v1/agents/ag_demo", headers=admin, json={"handoffTimeoutSeconds": 10})
    assert patched.json()["handoffTimeoutSeconds"] == 10
    assert outbox()[-1] == (
        "agent.updated",
        {**outbox()[-1][1], "changes": ["handoffTimeoutSeconds"]},
    )
    cid, auth = start()
    send(client, cid, auth, "Bonjour, je voudrais parler à quelqu'un")
    with EventReader(f"{server.url}/v1/conversations/{cid}/stream", auth) as stream:
        stream.wait_for("mode")
        # The visitor has waited 11 seconds (the clock moved, not the test).
        with transaction(app.state.sessions) as session:
            session.execute(
                update(Conversation)
                .where(Conversation.id == cid)
                .values(waiting_since=utcnow() - timedelta(seconds=11))
            )
        (notice,) = stream.wait_for("message")
        assert notice.data["content"].startswith("Personne n'est disponible")
        assert notice.data["author"] == {"kind": "agent", "name": None}
        modes = stream.wait_for("mode", 2)
        assert modes[-1].data == {"mode": "agent", "reason": "unanswered"}
    # Once per wait: another look (as another process's worker would take) writes nothing more.
    assert sweep(app.state.sessions) == 0
    transcript = client.get(f"/v1/conversations/{cid}/messages", headers=auth).json()
    assert transcript["mode"] == "agent"
    assert sum("disponible" in m["content"] for m in transcript["messages"]) == 1
    lead = send(client, cid, auth, "ada@example.com")
    assert lead["leadCaptured"] is not None


def test_the_handoff_timeout_is_checked(client: httpx.Client, admin: dict[str, str]) -> None:
    for bad in (9, 86_401, "120", None):
        refused = client.patch(
            "/v1/agents/ag_demo", headers=admin, json={"handoffTimeoutSeconds": bad}
        )
        assert refused.status_code == 422, (bad, refused.text)
        assert "handoffTimeoutSeconds" in refused.json()["error"]["message"]
    assert client.get("/v1/agents/ag_demo", headers=admin).json()["handoffTimeoutSeconds"] == 120
