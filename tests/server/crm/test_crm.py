"""CRM integrations: the admin API, and captured leads pushed to HubSpot and Pipedrive (a local
stand-in speaking their documented paths and bodies), reported by ai-action.* webhooks."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.server.support.webhooks import (
    Received,
    Receiver,
    Reply,
    receiver,
    running_app,
    verify,
    webhook_settings,
)
from widget.events import parse_webhook
from widget.server.core.config import Settings
from widget.server.leads.tables import Lead

HUBSPOT_TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
PIPEDRIVE_TOKEN = "0123456789abcdef0123456789abcdef01234567"
LEAD_MESSAGE = "Hi, I'm Jane Doe from Acme Inc. Reach me at jane@example.com or +1 555 123 4567."


def _json_reply(status: int, body: dict[str, Any]) -> Reply:
    return Reply(status, {"content-type": "application/json"}, json.dumps(body).encode())


class CrmStandIn:
    """HubSpot's contacts API (v3) and Pipedrive's persons API (v1), as documented, in memory.

    `lose_next_answer` makes the next create succeed but answer 502, as if the reply was lost.
    """

    def __init__(self) -> None:
        self.contacts: dict[str, dict[str, Any]] = {}
        self.persons: dict[int, dict[str, Any]] = {}
        self.lose_next_answer = False
        self._ids = itertools.count(1001)
        self._lock = threading.Lock()
        self.http = Receiver()
        self.http.responder = self.respond
        self.url = self.http.url

    def creates(self) -> list[Received]:
        return [r for r in self.http.received() if r.method == "POST"]

    def respond(self, request: Received) -> Reply:
        url = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self._lock:
            if request.method == "POST" and url.path == "/crm/v3/objects/contacts":
                return self._hubspot_create(request)
            if url.path.startswith("/v1/persons") and query.get("api_token") != PIPEDRIVE_TOKEN:
                return _json_reply(
                    401, {"success": False, "error": "unauthorized access", "errorCode": 401}
                )
            if request.method == "POST" and url.path == "/v1/persons":
                return self._pipedrive_create(request)
            if request.method == "GET" and url.path == "/v1/persons/search":
                return self._pipedrive_search(query)
        return _json_reply(404, {"message": f"no route {request.method} {url.path}"})

    def _lost(self, reply: Reply) -> Reply:
        if self.lose_next_answer:
            self.lose_next_answer = False
            return Reply(502, body=b"<html>Bad Gateway</html>")
        return reply

    def _hubspot_create(self, request: Received) -> Reply:
        if request.headers.get("authorization") != f"Bearer {HUBSPOT_TOKEN}":
            return _json_reply(
                401,
                {
                    "status": "error",
                    "message": "Authentication credentials not found.",
                    "category": "INVALID_AUTHENTICATION",
                },
            )
        body = request.json()
        properties = body.get("properties")
        allowed = {"email", "firstname", "lastname", "phone", "company"}
        if set(body) != {"properties"} or not properties or not set(properties) <= allowed:
            return _json_reply(400, {"status": "error", "message": "Invalid input JSON"})
        for contact_id, known in self.contacts.items():
            if known["email"] == properties.get("email"):
                return _json_reply(
                    409,
                    {
                        "status": "error",
                        "message": f"Contact already exists. Existing ID: {contact_id}",
                        "category": "CONFLICT",
                    },
                )
        contact_id = str(next(self._ids))
        self.contacts[contact_id] = properties
        created = {"id": contact_id, "properties": properties, "archived": False}
        return self._lost(_json_reply(201, created))

    def _pipedrive_create(self, request: Received) -> Reply:
        body = request.json()
        if not body.get("name"):
            return _json_reply(400, {"success": False, "error": "Name must be given."})
        person_id = next(self._ids)
        self.persons[person_id] = body
        return self._lost(_json_reply(201, {"success": True, "data": {"id": person_id, **body}}))

    def _pipedrive_search(self, query: dict[str, str]) -> Reply:
        assert query.get("fields") == "email" and query.get("exact_match") == "true"
        items = [
            {"result_score": 1, "item": {"id": pid, "type": "person", "name": person["name"]}}
            for pid, person in self.persons.items()
            if any(e["value"] == query.get("term") for e in person.get("email", []))
        ]
        return _json_reply(200, {"success": True, "data": {"items": items}})


@pytest.fixture
def crm() -> Iterator[CrmStandIn]:
    stand_in = CrmStandIn()
    try:
        yield stand_in
    finally:
        stand_in.http.close()


@pytest.fixture
def live(settings: Settings) -> Iterator[tuple[FastAPI, httpx.Client]]:
    with running_app(webhook_settings(settings)) as pair:
        yield pair


@pytest.fixture
def api(live: tuple[FastAPI, httpx.Client]) -> httpx.Client:
    return live[1]


@pytest.fixture
def hook(api: httpx.Client) -> Iterator[tuple[Receiver, str]]:
    """A receiver subscribed to the ai-action events; yields it with its secret."""
    with receiver() as r:
        created = api.post(
            "/v1/webhooks",
            json={"url": r.url, "events": ["ai-action.completed", "ai-action.failed"]},
        )
        assert created.status_code == 201, created.text
        yield r, created.json()["secret"]


def configure(api: httpx.Client, provider: str, token: str, base_url: str) -> httpx.Response:
    return api.put(
        f"/v1/agents/ag_demo/integrations/{provider}",
        json={"apiToken": token, "baseUrl": base_url},
    )


def capture_lead(api: httpx.Client, message: str = LEAD_MESSAGE, locale: str | None = None) -> str:
    """Chat until the demo agent captures a lead; return the conversation id. `locale` is the
    visitor's browser's Accept-Language."""
    started = api.post("/v1/conversations", json={"agentId": "ag_demo"}).json()
    reply = api.post(
        f"/v1/conversations/{started['conversationId']}/messages",
        json={"content": message},
        headers={
            "Authorization": f"Bearer {started['visitorToken']}",
            **({"Accept-Language": locale} if locale else {}),
        },
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["leadCaptured"] is not None, reply.text
    conversation_id: str = started["conversationId"]
    return conversation_id


def stored_lead(app: FastAPI, conversation_id: str) -> Lead:
    sessions: sessionmaker[Session] = app.state.sessions
    with sessions() as session:
        lead = session.scalar(select(Lead).where(Lead.conversation_id == conversation_id))
        assert lead is not None
        return lead


def events(hook: tuple[Receiver, str], count: int) -> list[dict[str, Any]]:
    r, secret = hook
    found = [verify(secret, request) for request in r.wait_for(count)]
    for request in r.received():
        parse_webhook(request.body)
    return found


# --- The admin API -------------------------------------------------------------------------------


def test_token_is_write_only(api: httpx.Client, crm: CrmStandIn) -> None:
    first = configure(api, "hubspot", HUBSPOT_TOKEN, crm.url)
    assert first.status_code == 201, first.text
    again = configure(api, "hubspot", HUBSPOT_TOKEN, crm.url + "/")
    assert again.status_code == 200
    shown = api.get("/v1/agents/ag_demo/integrations/hubspot")
    listed = api.get("/v1/agents/ag_demo/integrations")
    for text in (first.text, again.text, shown.text, listed.text):
        assert HUBSPOT_TOKEN not in text
    assert shown.json()["apiToken"] == "••••" + HUBSPOT_TOKEN[-4:]
    assert shown.json()["baseUrl"] == crm.url
    assert [i["provider"] for i in listed.json()["data"]] == ["hubspot"]


def test_default_base_url_and_removal(api: httpx.Client) -> None:
    put = api.put("/v1/agents/ag_demo/integrations/pipedrive", json={"apiToken": PIPEDRIVE_TOKEN})
    assert put.status_code == 201, put.text
    assert put.json()["baseUrl"] == "https://api.pipedrive.com"
    assert api.delete("/v1/agents/ag_demo/integrations/pipedrive").status_code == 204
    assert api.get("/v1/agents/ag_demo/integrations/pipedrive").status_code == 404
    assert api.delete("/v1/agents/ag_demo/integrations/pipedrive").status_code == 404
    assert api.get("/v1/agents/ag_demo/integrations").json()["data"] == []


@pytest.mark.parametrize(
    ("path", "body", "status", "fragment"),
    [
        ("ag_demo/integrations/salesforce", {"apiToken": "t"}, 422, "'hubspot' or 'pipedrive'"),
        ("ag_nope/integrations/hubspot", {"apiToken": "t"}, 404, "ag_nope"),
        ("ag_demo/integrations/hubspot", {"apiToken": "  "}, 422, "apiToken"),
        ("ag_demo/integrations/hubspot", {}, 422, "apiToken: Field required"),
        ("ag_demo/integrations/hubspot", {"apiToken": "t", "x": 1}, 422, "x: Extra inputs"),
        (
            "ag_demo/integrations/hubspot",
            {"apiToken": "t", "baseUrl": "ftp://x"},
            422,
            "baseUrl: the URL must start with http:// or https://",
        ),
    ],
)
def test_bad_integration_requests(
    api: httpx.Client, path: str, body: dict[str, Any], status: int, fragment: str
) -> None:
    response = api.put(f"/v1/agents/{path}", json=body)
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]["message"]


def test_integration_api_needs_the_admin_key(api: httpx.Client) -> None:
    response = api.get("/v1/agents/ag_demo/integrations", headers={"Authorization": "Bearer no"})
    assert response.status_code == 401


def test_internal_base_url_refused_unless_allowed(settings: Settings) -> None:
    with running_app(webhook_settings(settings, webhook_allow_private=False)) as (_, api):
        response = configure(api, "hubspot", HUBSPOT_TOKEN, "http://169.254.169.254")
        assert response.status_code == 422
        assert "link-local" in response.json()["error"]["message"]


# --- Leads pushed to the CRMs ---------------------------------------------------------------------


def test_lead_goes_to_hubspot_and_completion_is_reported(
    live: tuple[FastAPI, httpx.Client], crm: CrmStandIn, hook: tuple[Receiver, str]
) -> None:
    app, api = live
    configure(api, "hubspot", HUBSPOT_TOKEN, crm.url)
    conversation_id = capture_lead(api)
    (event,) = events(hook, 1)

    lead = stored_lead(app, conversation_id)
    (request,) = crm.creates()
    assert request.path == "/crm/v3/objects/contacts"
    assert request.headers["authorization"] == f"Bearer {HUBSPOT_TOKEN}"
    first, _, last = (lead.name or "").partition(" ")
    expected = {
        "email": "jane@example.com",
        "firstname": first or None,
        "lastname": last or None,
        "phone": lead.phone,
        "company": lead.company_name,
    }
    assert request.json() == {"properties": {k: v for k, v in expected.items() if v}}

    assert event["event"] == "ai-action.completed"
    data = event["data"]
    assert data["actionId"].startswith("action_")
    assert data["actionType"] == "hubspot"
    assert data["agentId"] == "ag_demo"
    assert data["conversationId"] == conversation_id
    (contact_id,) = crm.contacts
    assert data["result"] == {"provider": "hubspot", "contactId": contact_id, "created": True}


def test_the_crm_gets_the_phone_in_e164_read_in_the_visitors_country(
    live: tuple[FastAPI, httpx.Client], crm: CrmStandIn, hook: tuple[Receiver, str]
) -> None:
    app, api = live
    configure(api, "hubspot", HUBSPOT_TOKEN, crm.url)
    message = "Hi, I'm Jane Doe. Reach me at Jane@Example.COM or 030 12345678."
    conversation_id = capture_lead(api, message, locale="de-DE,de;q=0.9,en;q=0.8")
    events(hook, 1)
    lead = stored_lead(app, conversation_id)
    assert (lead.email, lead.phone) == ("Jane@example.com", "+493012345678")
    (request,) = crm.creates()
    properties = request.json()["properties"]
    assert (properties["email"], properties["phone"]) == ("Jane@example.com", "+493012345678")


def test_without_a_country_from_the_browser_the_agents_phone_region_reads_the_number(
    live: tuple[FastAPI, httpx.Client], hook: tuple[Receiver, str]
) -> None:
    app, api = live
    message = "Hi, I'm Jane Doe. Reach me at jane@example.com or 030 12345678."
    bare = capture_lead(api, message)  # no Accept-Language, no agent region: kept as typed
    assert stored_lead(app, bare).phone == "030 12345678"

    refused = api.patch("/v1/agents/ag_demo", json={"phoneRegion": "XX"})
    assert refused.status_code == 422
    assert "phoneRegion" in refused.json()["error"]["message"]
    patched = api.patch("/v1/agents/ag_demo", json={"phoneRegion": "de"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["phoneRegion"] == "DE"
    read = capture_lead(api, message)
    assert stored_lead(app, read).phone == "+493012345678"
    # The visitor's own country still comes first.
    american = capture_lead(api, "I'm Jane Doe, jane@example.com, 415 555 0100", "en-US")
    assert stored_lead(app, american).phone == "+14155550100"

    reset = api.patch("/v1/agents/ag_demo", json={"phoneRegion": None})
    assert reset.json()["phoneRegion"] is None


def test_lead_goes_to_pipedrive(
    live: tuple[FastAPI, httpx.Client], crm: CrmStandIn, hook: tuple[Receiver, str]
) -> None:
    app, api = live
    configure(api, "pipedrive", PIPEDRIVE_TOKEN, crm.url)
    conversation_id = capture_lead(api)
    (event,) = events(hook, 1)

    lead = stored_lead(app, conversation_id)
    (request,) = crm.creates()
    url = urlsplit(request.path)
    assert url.path == "/v1/persons"
    assert parse_qs(url.query) == {"api_token": [PIPEDRIVE_TOKEN]}
    body = request.json()
    assert body["name"] == (lead.name or lead.email)
    assert body["email"] == [{"value": "jane@example.com", "primary": True, "label": "work"}]
    if lead.phone:
        assert body["phone"] == [{"value": lead.phone, "primary": True, "label": "work"}]

    assert event["event"] == "ai-action.completed"
    assert event["data"]["actionType"] == "pipedrive"
    (person_id,) = crm.persons
    assert event["data"]["result"] == {
        "provider": "pipedrive",
        "personId": person_id,
        "created": True,
    }


def test_each_configured_crm_gets_the_lead_once(
    live: tuple[FastAPI, httpx.Client], crm: CrmStandIn, hook: tuple[Receiver, str]
) -> None:
    _, api = live
    configure(api, "hubspot", HUBSPOT_TOKEN, crm.url)
    configure(api, "pipedrive", PIPEDRIVE_TOKEN, crm.url)
    capture_lead(api)
    found = events(hook, 2)
    assert sorted(e["data"]["actionType"] for e in found) == ["hubspot", "pipedrive"]
    assert len({e["data"]["actionId"] for e in found}) == 2
    assert len(crm.creates()) == 2 and len(crm.contacts) == 1 and len(crm.persons) == 1


def test_rejected_token_fails_at_once_with_a_clear_error(
    live: tuple[FastAPI, httpx.Client], crm: CrmStandIn, hook: tuple[Receiver, str]
) -> None:
    _, api = live
    configure(api, "hubspot", "pat-wrong", crm.url)
    configure(api, "pipedrive", "wrong-token-1234", crm.url)
    conversation_id = capture_lead(api)
    found = {e["data"]["actionType"]: e for e in events(hook, 2)}
    assert {e["event"] for e in found.values()} == {"ai-action.failed"}
    hubspot, pipedrive = found["hubspot"]["data"], found["pipedrive"]["data"]
    assert hubspot["error"] == "HubSpot answered 401: Authentication credentials not found."
    assert pipedrive["error"] == "Pipedrive answered 401: unauthorized access"
    assert hubspot["conversationId"] == conversation_id
    assert "wrong-token-1234" not in json.dumps(found)
    # A rejected token is not retried.
    assert len(crm.creates()) == 2


def test_server_errors_are_retried_until_the_vendor_recovers(
    live: tuple[FastAPI, httpx.Client], crm: CrmStandIn, hook: tuple[Receiver, str]
) -> None:
    _, api = live
    configure(api, "hubspot", HUBSPOT_TOKEN, crm.url)
    crm.http.replies = [Reply(500, body=b"oops"), _json_reply(429, {"message": "slow down"})]
    capture_lead(api)
    (event,) = events(hook, 1)
    assert event["event"] == "ai-action.completed"
    assert len(crm.creates()) == 3 and len(crm.contacts) == 1


def test_unreachable_vendor_fails_after_the_last_retry(
    live: tuple[FastAPI, httpx.Client], hook: tuple[Receiver, str]
) -> None:
    _, api = live
    closed = Receiver()
    closed.close()  # nothing listens on its port any more
    configure(api, "hubspot", HUBSPOT_TOKEN, closed.url)
    capture_lead(api)
    (event,) = events(hook, 1)
    assert event["event"] == "ai-action.failed"
    assert event["data"]["error"].startswith("could not reach HubSpot")
    assert event["data"]["error"].endswith("(gave up after 3 attempts)")


@pytest.mark.parametrize(
    ("provider", "token"), [("hubspot", HUBSPOT_TOKEN), ("pipedrive", PIPEDRIVE_TOKEN)]
)
def test_a_lost_answer_does_not_duplicate_the_contact(
    live: tuple[FastAPI, httpx.Client],
    crm: CrmStandIn,
    hook: tuple[Receiver, str],
    provider: str,
    token: str,
) -> None:
    _, api = live
    configure(api, provider, token, crm.url)
    crm.lose_next_answer = True
    capture_lead(api)
    (event,) = events(hook, 1)
    assert event["event"] == "ai-action.completed"
    assert event["data"]["result"]["created"] is False
    stored = crm.contacts if provider == "hubspot" else crm.persons
    assert len(stored) == 1
    key = "contactId" if provider == "hubspot" else "personId"
    assert event["data"]["result"][key] == next(iter(stored))


def test_integration_removed_before_the_action_ran(
    live: tuple[FastAPI, httpx.Client], crm: CrmStandIn, hook: tuple[Receiver, str]
) -> None:
    _, api = live
    configure(api, "hubspot", HUBSPOT_TOKEN, crm.url)
    crm.http.replies = [Reply(503)]
    crm.http.hold = threading.Event()  # the first call hangs until released
    capture_lead(api)
    crm.http.wait_for(1)
    api.delete("/v1/agents/ag_demo/integrations/hubspot")
    crm.http.hold.set()
    (event,) = events(hook, 1)
    assert event["event"] == "ai-action.failed"
    assert "integration of agent ag_demo was removed" in event["data"]["error"]
    assert crm.contacts == {}
