"""A reply drawn from the agent's documents names them, in the chat API's answer and in the
transcript; a reply drawn from none names none."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.server.agents.test_training_formats import new_agent, train

Start = Callable[..., tuple[str, dict[str, str]]]

GARDEN = (
    "# Garden service\n\nWe mow lawns every Tuesday. Hedge trimming costs 40 euros an hour. "
    "Our gardeners bring their own tools and take the green waste away."
)


def test_replies_and_the_transcript_name_their_sources(
    client: httpx.Client, admin: dict[str, str], start: Start
) -> None:
    agent_id = new_agent(client, admin)
    documents = [
        {"name": "garden.md", "content": GARDEN},
        {"name": "hours.md", "content": "# Opening hours\n\nThe office opens at nine."},
    ]
    train(client, admin, agent_id, {"source": "docs", "documents": documents})
    conversation_id, auth = start(agent_id)
    url = f"/v1/conversations/{conversation_id}/messages"

    answered = client.post(url, headers=auth, json={"content": "How much is hedge trimming?"})
    reply = answered.json()["reply"]
    assert "40 euros" in reply["content"]
    assert reply["sources"] == [{"label": "garden.md", "url": None}]

    unknown = client.post(url, headers=auth, json={"content": "Do you sell submarines?"})
    assert unknown.json()["reply"]["sources"] == []

    messages = client.get(url, headers=auth).json()["messages"]
    assert [(m["role"], m["sources"]) for m in messages] == [
        ("user", []),
        ("assistant", [{"label": "garden.md", "url": None}]),
        ("user", []),
        ("assistant", []),
    ]


def test_a_retried_message_gets_its_stored_reply_with_its_sources(
    client: httpx.Client, admin: dict[str, str], start: Start
) -> None:
    agent_id = new_agent(client, admin)
    train(
        client,
        admin,
        agent_id,
        {"source": "docs", "documents": [{"name": "g.md", "content": GARDEN}]},
    )
    conversation_id, auth = start(agent_id)
    body = {"content": "How much is hedge trimming?", "clientMessageId": "c-1"}
    url = f"/v1/conversations/{conversation_id}/messages"
    first = client.post(url, headers=auth, json=body).json()
    again = client.post(url, headers=auth, json=body).json()
    assert again == first
    assert first["reply"]["sources"] == [{"label": "g.md", "url": None}]
