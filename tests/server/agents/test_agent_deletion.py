"""Deleting an agent removes it and everything that hangs on it, cancels what was not sent about
it, leaves other agents alone; the demo agent, once deleted, is not seeded again."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.server.support import visitors
from tests.server.support.visitors import Visitor, rows_mentioning
from tests.server.support.webhooks import receiver, served
from widget.server.agents.tables import Agent, KnowledgeChunk, Training
from widget.server.app import create_app
from widget.server.chat.tables import Conversation
from widget.server.core.config import Settings
from widget.server.crm.tables import CrmAction, CrmIntegration
from widget.server.leads.tables import Lead
from widget.server.webhooks.fan_out import fan_out


@pytest.fixture
def quiet_app(settings: Settings) -> FastAPI:
    return visitors.quiet_app(settings)


@pytest.fixture
def api(quiet_app: FastAPI) -> Iterator[httpx.Client]:
    with served(quiet_app) as client:
        yield client


def _rows(app: FastAPI, agent_id: str) -> dict[str, int]:
    with app.state.sessions() as session:
        return {
            model.__tablename__: session.scalar(
                select(func.count()).select_from(model).where(model.agent_id == agent_id)
            )
            or 0
            for model in (Conversation, Lead, KnowledgeChunk, Training, CrmIntegration, CrmAction)
        }


def test_deleting_an_agent_removes_all_that_hangs_on_it(
    api: httpx.Client, quiet_app: FastAPI
) -> None:
    agent_id = api.post("/v1/agents", json={"name": "Shop"}).json()["agentId"]
    with receiver() as hook:
        endpoint = api.post("/v1/webhooks", json={"url": hook.url, "events": ["lead.captured"]})
        endpoint_id = endpoint.json()["id"]
        for agent in (agent_id, "ag_demo"):
            api.put(
                f"/v1/agents/{agent}/integrations/hubspot",
                json={"apiToken": "pat-1", "baseUrl": hook.url},
            )
        training = api.post(
            f"/v1/agents/{agent_id}/training",
            json={"source": "docs", "documents": [{"name": "a.md", "content": "# A\n\nText."}]},
        )
        assert training.status_code == 202  # pending: no worker runs here
        shopper = Visitor(api, agent_id)
        shopper.say("I'm Ada Lovelace, ada@example.com")
        demo = Visitor(api)
        demo.say("I'm Bob Stone, bob@example.org")
        fan_out(quiet_app.state.sessions, quiet_app.state.settings.webhook_retry_delays)
        before = _rows(quiet_app, agent_id)
        assert before == {
            "conversations": 1,
            "leads": 1,
            "knowledge_chunks": 0,
            "trainings": 1,
            "crm_integrations": 1,
            "crm_actions": 1,
        }
        demo_before = _rows(quiet_app, "ag_demo")

        deleted = api.delete(f"/v1/agents/{agent_id}")
        assert deleted.status_code == 200, deleted.text
        assert deleted.json() == {
            "agentId": agent_id,
            "conversations": 1,
            "messages": 2,
            "leads": 1,
            "chunks": 0,
            "trainings": 1,
            "integrations": 1,
            "crmActions": 1,
            "deliveriesCancelled": 1,
        }
        assert api.get(f"/v1/agents/{agent_id}").status_code == 404
        assert agent_id not in api.get("/v1/agents").text
        assert api.get("/v1/conversations", params={"agentId": agent_id}).json() == {"data": []}
        assert api.get("/v1/leads", params={"agentId": agent_id}).json() == {"data": []}
        assert api.post("/v1/conversations", json={"agentId": agent_id}).status_code == 404
        assert (
            shopper.api.get(
                f"/v1/conversations/{shopper.conversation_id}/messages", headers=shopper.auth
            ).status_code
            == 404
        )
        assert _rows(quiet_app, agent_id) == dict.fromkeys(before, 0)
        assert rows_mentioning(quiet_app, "ada@example.com") == []
        with quiet_app.state.sessions() as session:
            assert session.get(Agent, agent_id) is None

        # The demo agent and its visitor keep everything.
        assert _rows(quiet_app, "ag_demo") == demo_before
        deliveries = api.get(f"/v1/webhooks/{endpoint_id}/deliveries").json()["data"]
        assert sorted(d["status"] for d in deliveries) == ["cancelled", "pending"]
        assert demo.say("What does it cost?")["reply"]["content"]

        twice = api.delete(f"/v1/agents/{agent_id}")
        assert twice.status_code == 404
        assert twice.json()["error"]["code"] == "not_found"


def test_a_deleted_demo_agent_is_not_seeded_again(settings: Settings) -> None:
    app = visitors.quiet_app(settings)
    with served(app) as api:
        assert api.delete("/v1/agents/ag_demo").status_code == 200
    again = create_app(settings)  # a restart on the same database
    again.state.services = []
    with served(again) as api:
        assert api.get("/v1/agents/ag_demo").status_code == 404
        assert api.get("/v1/agents").json() == {"data": []}
