"""An agent's knowledge by source and document: listed, replaced by training a document again,
and deleted, after which no server process answers from it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.server.conftest import wait_until
from tests.server.support.webhooks import running_app
from widget.server.core.config import Settings

Start = Callable[..., tuple[str, dict[str, str]]]

REFUNDS = "# Refunds\n\nWe refund every order within 30 days, no questions asked."
SHIPPING = "# Shipping\n\nParcels leave our warehouse within 2 working days."
PARCELS = "When do parcels leave the warehouse?"
FAQ = "# Opening hours\n\nThe shop opens at 9 o'clock on weekdays."


def _train(client: httpx.Client, agent_id: str, source: str, **documents: str) -> dict[str, Any]:
    body = {
        "source": source,
        "documents": [{"name": n, "content": c} for n, c in documents.items()],
    }
    accepted = client.post(f"/v1/agents/{agent_id}/training", json=body)
    assert accepted.status_code == 202, accepted.text
    url = f"/v1/agents/{agent_id}/training/{accepted.json()['trainingId']}"

    def finished() -> dict[str, Any] | None:
        status: dict[str, Any] = client.get(url).json()
        return status if status["status"] in ("completed", "failed") else None

    result: dict[str, Any] = wait_until(finished, what="the training")
    assert result["status"] == "completed", result
    return result


def _ask(client: httpx.Client, agent_id: str, question: str) -> str:
    started = client.post("/v1/conversations", json={"agentId": agent_id}).json()
    auth = {"Authorization": f"Bearer {started['visitorToken']}"}
    reply = client.post(
        f"/v1/conversations/{started['conversationId']}/messages",
        json={"content": question},
        headers=auth,
    )
    assert reply.status_code == 200, reply.text
    content: str = reply.json()["reply"]["content"]
    return content


def test_sources_are_listed_and_a_document_trained_again_replaces_only_itself(
    settings: Settings,
) -> None:
    with running_app(settings) as (_, api):
        agent_id = api.post("/v1/agents", json={"name": "Shop"}).json()["agentId"]
        first = _train(
            api, agent_id, "policies", **{"refunds.md": REFUNDS, "shipping.md": SHIPPING}
        )
        _train(api, agent_id, "faq", **{"docs/hours.md": FAQ})
        again = _train(api, agent_id, "policies", **{"refunds.md": REFUNDS.replace("30", "45")})

        sources = api.get(f"/v1/agents/{agent_id}/sources").json()["data"]
        assert [s["source"] for s in sources] == ["faq", "policies"]
        policies = sources[1]
        assert [d["name"] for d in policies["documents"]] == ["refunds.md", "shipping.md"]
        refunds, shipping = policies["documents"]
        assert refunds["trainingId"] == again["trainingId"]
        assert refunds["trainedAt"] == again["finishedAt"]
        assert shipping["trainingId"] == first["trainingId"]
        assert policies["chunkCount"] == refunds["chunkCount"] + shipping["chunkCount"] >= 2
        assert sources[0]["documents"][0]["name"] == "docs/hours.md"

        assert "45 days" in _ask(api, agent_id, "Can I get a refund?")
        assert "30 days" not in _ask(api, agent_id, "Can I get a refund?")
        assert "2 working days" in _ask(api, agent_id, PARCELS)
        assert api.get("/v1/agents/ag_nobody/sources").status_code == 404


def test_deleted_knowledge_stops_answering_at_once_in_every_process(
    settings: Settings,
) -> None:
    # Two servers on one SQLite file: one answers, the other changes the knowledge.
    with running_app(settings) as (_, answering), running_app(settings) as (_, other):
        agent_id = answering.post("/v1/agents", json={"name": "Shop"}).json()["agentId"]
        _train(answering, agent_id, "policies", **{"refunds.md": REFUNDS, "shipping.md": SHIPPING})
        assert "30 days" in _ask(answering, agent_id, "Can I get a refund?")  # now cached

        # The last document replaced: the same chunk count and, SQLite reusing the highest freed
        # rowid, the same chunk ids; only the generation stamp tells the change apart.
        _train(other, agent_id, "policies", **{"shipping.md": SHIPPING.replace("2", "5")})
        assert "5 working days" in _ask(answering, agent_id, PARCELS)

        url = f"/v1/agents/{agent_id}/sources/policies/documents/refunds.md"
        deleted = other.delete(url)
        assert deleted.status_code == 200, deleted.text
        assert deleted.json()["documents"] == 1
        assert deleted.json()["chunks"] >= 1
        answer = _ask(answering, agent_id, "Can I get a refund?")
        assert "30 days" not in answer
        assert "5 working days" in _ask(answering, agent_id, PARCELS)
        listed = answering.get(f"/v1/agents/{agent_id}/sources").json()["data"]
        assert [[d["name"] for d in s["documents"]] for s in listed] == [["shipping.md"]]

        twice = other.delete(url)
        assert twice.status_code == 404
        assert twice.json()["error"]["message"] == (
            f"Agent {agent_id!r} has no document 'refunds.md' in source 'policies'."
        )

        gone = other.delete(f"/v1/agents/{agent_id}/sources/policies")
        assert gone.json()["documents"] == 1
        assert gone.json()["chunks"] >= 1
        assert "5 working days" not in _ask(answering, agent_id, PARCELS)
        assert answering.get(f"/v1/agents/{agent_id}/sources").json() == {"data": []}
        assert other.delete(f"/v1/agents/{agent_id}/sources/policies").status_code == 404
        # The demo agent's knowledge is untouched.
        assert "policies" not in answering.get("/v1/agents/ag_demo/sources").text
        assert answering.get("/v1/agents/ag_demo/sources").json()["data"][0]["source"] == "demo"
