"""The admin API for agents, and training them with documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.server.conftest import on_both_databases, wait_until

pytestmark = on_both_databases

Outbox = Callable[[], list[tuple[str, dict[str, Any]]]]
Start = Callable[..., tuple[str, dict[str, str]]]


def test_admin_key_is_required(client: httpx.Client) -> None:
    for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}]:
        response = client.get("/v1/agents/ag_demo", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    refused = client.patch("/v1/agents/ag_demo", json={"name": "Hacked"})
    assert refused.status_code == 401


def test_get_the_seeded_demo_agent(client: httpx.Client, admin: dict[str, str]) -> None:
    agent = client.get("/v1/agents/ag_demo", headers=admin).json()
    assert agent["agentId"] == "ag_demo"
    assert agent["allowedOrigins"] == ["*"]
    assert set(agent) == {
        "agentId", "name", "prompt", "welcomeMessage", "allowedOrigins", "retentionDays",
        "phoneRegion", "createdAt", "updatedAt", "allowUnverifiedIdentity", "theme",
        "handoffTimeoutSeconds",
        "welcomeMessages",
    }  # fmt: skip
    assert client.get("/v1/agents/ag_nobody", headers=admin).status_code == 404


def test_patch_reports_exactly_the_changed_fields(
    client: httpx.Client, admin: dict[str, str], outbox: Outbox
) -> None:
    before = client.get("/v1/agents/ag_demo", headers=admin).json()
    response = client.patch(
        "/v1/agents/ag_demo",
        headers=admin,
        json={
            "name": "Parley Sales",
            "prompt": before["prompt"],  # unchanged: not reported
            "allowedOrigins": ["https://Shop.Example:443", "http://localhost:3000"],
        },
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["name"] == "Parley Sales"
    assert after["allowedOrigins"] == ["https://shop.example", "http://localhost:3000"]
    assert after["updatedAt"] > before["updatedAt"]

    events = outbox()
    assert [name for name, _ in events] == ["agent.updated"]
    data = events[0][1]
    assert data["agentId"] == "ag_demo"
    assert data["changes"] == ["name", "allowedOrigins"]
    assert data["updatedAt"] == after["updatedAt"]

    same = client.patch("/v1/agents/ag_demo", headers=admin, json={"name": "Parley Sales"})
    assert same.status_code == 200
    assert len(outbox()) == 1  # nothing changed, nothing raised

    welcome = client.patch("/v1/agents/ag_demo", headers=admin, json={"welcomeMessage": "Hey!"})
    assert welcome.json()["welcomeMessage"] == "Hey!"
    assert outbox()[-1][1]["changes"] == ["welcomeMessage"]


def test_patch_refuses_bad_input_and_keeps_the_agent(
    client: httpx.Client, admin: dict[str, str], outbox: Outbox
) -> None:
    before = client.get("/v1/agents/ag_demo", headers=admin).json()
    cases = [
        ({"allowedOrigins": ["https://shop.example/path"]}, "allowedOrigins"),
        ({"allowedOrigins": ["ftp://shop.example"]}, "allowedOrigins"),
        ({"allowedOrigins": ["shop.example"]}, "allowedOrigins"),
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"nmae": "typo"}, "nmae"),
    ]
    for body, field in cases:
        response = client.patch("/v1/agents/ag_demo", headers=admin, json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["message"].startswith(f"{field}:"), response.json()
    assert client.get("/v1/agents/ag_demo", headers=admin).json() == before
    assert outbox() == []
    missing = client.patch("/v1/agents/ag_nobody", headers=admin, json={"name": "x"})
    assert missing.status_code == 404


def test_create_an_agent(client: httpx.Client, admin: dict[str, str]) -> None:
    created = client.post(
        "/v1/agents", headers=admin, json={"name": "Support", "allowedOrigins": ["*"]}
    )
    assert created.status_code == 201
    agent = created.json()
    assert agent["agentId"].startswith("ag_")
    listed = client.get("/v1/agents", headers=admin).json()["data"]
    assert [a["agentId"] for a in listed] == ["ag_demo", agent["agentId"]]


def _train(
    client: httpx.Client, admin: dict[str, str], agent_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    accepted = client.post(f"/v1/agents/{agent_id}/training", headers=admin, json=body)
    assert accepted.status_code == 202, accepted.text
    training_id = accepted.json()["trainingId"]
    assert isinstance(training_id, int)

    def finished() -> dict[str, Any] | None:
        status = client.get(f"/v1/agents/{agent_id}/training/{training_id}", headers=admin).json()
        return status if status["status"] in ("completed", "failed") else None

    result: dict[str, Any] = wait_until(finished, what=f"training {training_id}")
    return result


GARDEN = (
    "# Garden service\n\nWe mow lawns every Tuesday. Hedge trimming costs 40 euros an hour. "
    "Our gardeners bring their own tools and take the green waste away."
)


def test_training_completes_and_the_agent_answers_from_it(
    client: httpx.Client, admin: dict[str, str], outbox: Outbox, start: Start
) -> None:
    agent_id = client.post("/v1/agents", headers=admin, json={"name": "Gardens"}).json()["agentId"]
    result = _train(
        client,
        admin,
        agent_id,
        {"source": "garden-docs", "documents": [{"name": "garden.md", "content": GARDEN}]},
    )
    assert result["status"] == "completed"
    assert result["dataCount"] >= 1
    assert result["error"] is None

    events = outbox()
    assert [name for name, _ in events] == ["training.completed"]
    assert events[0][1] == {
        "trainingId": result["trainingId"],
        "agentId": agent_id,
        "source": "garden-docs",
        "status": "completed",
        "dataCount": result["dataCount"],
        "completedAt": result["finishedAt"],
    }

    conversation_id, auth = start(agent_id)
    reply = client.post(
        f"/v1/conversations/{conversation_id}/messages",
        headers=auth,
        json={"content": "How much is hedge trimming?"},
    ).json()["reply"]["content"]
    assert "40 euros" in reply


def test_training_with_an_unusable_document_fails_and_stores_nothing(
    client: httpx.Client, admin: dict[str, str], outbox: Outbox, start: Start
) -> None:
    agent_id = client.post("/v1/agents", headers=admin, json={"name": "Gardens"}).json()["agentId"]
    good = {"name": "garden.md", "content": GARDEN}
    _train(client, admin, agent_id, {"source": "docs", "documents": [good]})

    result = _train(
        client,
        admin,
        agent_id,
        {
            "source": "docs",
            "documents": [
                {"name": "pricing.md", "content": "# Prices\n\nMowing is 25 euros."},
                {"name": "brochure.pdf", "content": "%PDF-1.7 ..."},
            ],
        },
    )
    assert result["status"] == "failed"
    assert "brochure.pdf" in result["error"]
    assert result["dataCount"] is None

    failed = outbox()[-1]
    assert failed[0] == "training.failed"
    assert failed[1] == {
        "trainingId": result["trainingId"],
        "agentId": agent_id,
        "source": "docs",
        "error": result["error"],
        "failedAt": result["finishedAt"],
    }

    # The earlier knowledge is intact and the failed upload added nothing.
    conversation_id, auth = start(agent_id)
    reply = client.post(
        f"/v1/conversations/{conversation_id}/messages",
        headers=auth,
        json={"content": "How much is hedge trimming?"},
    ).json()["reply"]["content"]
    assert "40 euros" in reply


def test_training_the_same_source_again_replaces_it(
    client: httpx.Client, admin: dict[str, str], start: Start
) -> None:
    agent_id = client.post("/v1/agents", headers=admin, json={"name": "Gardens"}).json()["agentId"]
    for text in [GARDEN, GARDEN.replace("40 euros", "55 euros")]:
        document = {"name": "g.md", "content": text}
        _train(client, admin, agent_id, {"source": "docs", "documents": [document]})

    conversation_id, auth = start(agent_id)
    reply = client.post(
        f"/v1/conversations/{conversation_id}/messages",
        headers=auth,
        json={"content": "How much is hedge trimming?"},
    ).json()["reply"]["content"]
    assert "55 euros" in reply
    assert "40 euros" not in reply

    trainings = client.get(f"/v1/agents/{agent_id}/training", headers=admin).json()["data"]
    assert [t["status"] for t in trainings] == ["completed", "completed"]


def test_training_requests_are_validated(client: httpx.Client, admin: dict[str, str]) -> None:
    url = "/v1/agents/ag_demo/training"
    empty = client.post(url, headers=admin, json={"source": "docs", "documents": []})
    assert empty.status_code == 422
    assert empty.json()["error"]["message"].startswith("documents:")
    nameless = client.post(
        url, headers=admin, json={"source": "docs", "documents": [{"content": "x"}]}
    )
    assert nameless.json()["error"]["message"] == "documents.0.name: Field required"
    unknown = client.post(
        "/v1/agents/ag_nobody/training",
        headers=admin,
        json={"source": "docs", "documents": [{"name": "a.md", "content": "text"}]},
    )
    assert unknown.status_code == 404
    assert client.get("/v1/agents/ag_demo/training/999", headers=admin).status_code == 404
