"""The admin webhook API and what receivers see: signed deliveries, filters, retries, rotation,
redelivery, test events and endpoint disabling. Real app on uvicorn, real receivers on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.server.support.webhooks import (
    Receiver,
    Reply,
    receiver,
    running_app,
    verify,
    wait_until,
    webhook_settings,
)
from widget.events import WEBHOOK_EVENTS, parse_webhook, sample_data
from widget.server.core.config import Settings
from widget.server.core.db import transaction
from widget.server.webhooks.outbox import OutboxEvent, enqueue
from widget.server.webhooks.tables import WebhookEndpoint


@pytest.fixture
def live(settings: Settings) -> Iterator[tuple[FastAPI, httpx.Client]]:
    with running_app(webhook_settings(settings)) as pair:
        yield pair


@pytest.fixture
def app(live: tuple[FastAPI, httpx.Client]) -> FastAPI:
    return live[0]


@pytest.fixture
def api(live: tuple[FastAPI, httpx.Client]) -> httpx.Client:
    return live[1]


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def emit(app: FastAPI, event: str) -> dict[str, Any]:
    """Raise `event` the way the chat code does: enqueue in a transaction, then commit."""
    data = sample_data(event, datetime.now(UTC))
    with transaction(app.state.sessions) as session:
        enqueue(session, event, data)
    return data.model_dump(mode="json")


def all_fanned_out(app: FastAPI) -> bool:
    with app.state.sessions() as session:
        return not session.scalars(select(OutboxEvent.id).where(~OutboxEvent.fanned_out)).first()


def register(api: httpx.Client, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = api.post("/v1/webhooks", json={"url": url, "events": events or list(WEBHOOK_EVENTS)})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def deliveries(api: httpx.Client, endpoint_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/v1/webhooks/{endpoint_id}/deliveries", params={"limit": 1000})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def finished(api: httpx.Client, endpoint_id: str, count: int) -> list[dict[str, Any]]:
    """Wait until `count` deliveries of the endpoint are no longer pending."""

    def done() -> list[dict[str, Any]] | None:
        found = deliveries(api, endpoint_id)
        if len(found) >= count and all(d["status"] != "pending" for d in found):
            return found
        return None

    result: list[dict[str, Any]] = wait_until(done, what=f"{count} finished deliveries")
    return result


def test_registration_returns_id_and_secret_once(api: httpx.Client, hook: Receiver) -> None:
    created = register(api, hook.url, ["lead.captured", "message.sent", "lead.captured"])
    assert created["id"].startswith("wh_")
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["lead.captured", "message.sent"]
    assert created["enabled"] is True

    listed = api.get("/v1/webhooks").json()["data"]
    shown = api.get(f"/v1/webhooks/{created['id']}").json()
    assert [e["id"] for e in listed] == [created["id"]]
    for view in (listed[0], shown):
        assert "secret" not in view
        assert created["secret"] not in str(view)
        assert view["maskedSecret"].endswith(created["secret"][-4:])


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"url": "http://127.0.0.1:9/", "events": ["lead.created"]}, "valid events: lead.captured"),
        ({"url": "http://127.0.0.1:9/", "events": []}, "at least one event"),
        ({"url": "ftp://example.com/hook", "events": ["lead.captured"]}, "http:// or https://"),
        ({"url": "not a url", "events": ["lead.captured"]}, "url"),
        ({"events": ["lead.captured"]}, "url: Field required"),
    ],
)
def test_bad_registrations_are_refused_with_a_reason(
    api: httpx.Client, body: dict[str, Any], fragment: str
) -> None:
    response = api.post("/v1/webhooks", json=body)
    assert response.status_code == 422, response.text
    assert fragment in response.json()["error"]["message"]
    assert api.get("/v1/webhooks").json()["data"] == []


def test_unknown_event_error_names_all_nine(api: httpx.Client) -> None:
    response = api.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["nope"]})
    message = response.json()["error"]["message"]
    assert all(name in message for name in WEBHOOK_EVENTS)


def test_admin_key_is_required(api: httpx.Client) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}):
        assert api.get("/v1/webhooks", headers=headers).status_code == 401
        response = api.post(
            "/v1/webhooks",
            json={"url": "http://127.0.0.1:9/", "events": ["lead.captured"]},
            headers=headers,
        )
        assert response.status_code == 401


def test_every_delivery_verifies_and_carries_the_exact_body(
    app: FastAPI, api: httpx.Client, hook: Receiver
) -> None:
    endpoint = register(api, hook.url)
    sent = {event: emit(app, event) for event in WEBHOOK_EVENTS}

    requests = hook.wait_for(len(WEBHOOK_EVENTS))
    by_event = {}
    for request in requests:
        payload = verify(endpoint["secret"], request)
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-signature"].startswith("v1,")
        assert set(payload) == {"event", "timestamp", "data"}
        envelope = parse_webhook(request.body)
        by_event[envelope.event] = payload["data"]
    assert by_event == sent
    logged = finished(api, endpoint["id"], len(WEBHOOK_EVENTS))
    assert {d["webhookId"] for d in logged} == {r.headers["webhook-id"] for r in requests}
    assert all(d["status"] == "succeeded" for d in logged)


def test_tampered_body_fails_verification(app: FastAPI, api: httpx.Client, hook: Receiver) -> None:
    endpoint = register(api, hook.url, ["lead.captured"])
    emit(app, "lead.captured")
    (request,) = hook.wait_for(1)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(request.body.replace(b"Jane", b"John"), request.headers)


def test_endpoints_get_only_the_events_they_subscribe_to(app: FastAPI, api: httpx.Client) -> None:
    with receiver() as leads, receiver() as conversations:
        lead_hook = register(api, leads.url, ["lead.captured"])
        conv_hook = register(api, conversations.url, ["conversation.started", "conversation.ended"])
        for event in ("message.sent", "lead.captured", "conversation.started", "agent.updated"):
            emit(app, event)
        emit(app, "conversation.ended")
        finished(api, lead_hook["id"], 1)
        finished(api, conv_hook["id"], 2)
        assert [r.json()["event"] for r in leads.received()] == ["lead.captured"]
        got = sorted(r.json()["event"] for r in conversations.received())
        assert got == ["conversation.ended", "conversation.started"]


def test_updated_filter_and_disabled_endpoint(
    app: FastAPI, api: httpx.Client, hook: Receiver
) -> None:
    endpoint = register(api, hook.url, ["lead.captured"])
    changed = api.patch(f"/v1/webhooks/{endpoint['id']}", json={"events": ["agent.updated"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["events"] == ["agent.updated"]
    emit(app, "lead.captured")
    emit(app, "agent.updated")
    finished(api, endpoint["id"], 1)
    assert [r.json()["event"] for r in hook.wait_for(1)] == ["agent.updated"]

    off = api.patch(f"/v1/webhooks/{endpoint['id']}", json={"enabled": False}).json()
    assert off["enabled"] is False
    emit(app, "agent.updated")
    # Fan-out decides who gets an event: wait for it before enabling the endpoint again.
    wait_until(lambda: all_fanned_out(app), what="the event to be fanned out")
    on = api.patch(f"/v1/webhooks/{endpoint['id']}", json={"enabled": True}).json()
    assert on["enabled"] is True and on["disabledReason"] is None
    emit(app, "agent.updated")
    finished(api, endpoint["id"], 2)
    # The event raised while the endpoint was disabled was not queued for it.
    assert len(deliveries(api, endpoint["id"])) == 2
    assert len(hook.received()) == 2

    bad = api.patch(f"/v1/webhooks/{endpoint['id']}", json={"events": ["lead.created"]})
    assert bad.status_code == 422
    assert "valid events" in bad.json()["error"]["message"]


def test_failing_receiver_gets_retries_with_the_same_webhook_id(
    app: FastAPI, api: httpx.Client, hook: Receiver
) -> None:
    hook.replies = [Reply(500, body=b"boom"), Reply(503, body=b"busy")]
    endpoint = register(api, hook.url, ["message.sent"])
    emit(app, "message.sent")

    requests = hook.wait_for(3)
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    assert len({r.body for r in requests}) == 1
    for request in requests:
        verify(endpoint["secret"], request)
    (delivery,) = finished(api, endpoint["id"], 1)
    assert delivery["status"] == "succeeded"
    assert delivery["attemptCount"] == 3
    attempts = delivery["attempts"]
    assert [a["statusCode"] for a in attempts] == [500, 503, 200]
    assert [a["error"] for a in attempts] == ["HTTP 500", "HTTP 503", None]
    assert [a["responseBody"] for a in attempts] == ["boom", "busy", "ok"]
    assert all(isinstance(a["latencyMs"], int) and a["attemptedAt"] for a in attempts)


def test_gives_up_after_the_last_retry(app: FastAPI, api: httpx.Client, hook: Receiver) -> None:
    hook.default = Reply(500)
    endpoint = register(api, hook.url, ["message.sent"])
    emit(app, "message.sent")
    (delivery,) = finished(api, endpoint["id"], 1)
    # FAST_RETRIES has three entries: three attempts in all.
    assert delivery["status"] == "failed"
    assert len(delivery["attempts"]) == 3 == len(hook.received())
    assert "no retries left" in delivery["lastError"]
    assert api.get(f"/v1/webhooks/{endpoint['id']}").json()["enabled"] is True


def test_log_keeps_the_first_2_kb_of_a_response(
    app: FastAPI, api: httpx.Client, hook: Receiver
) -> None:
    hook.default = Reply(200, body=b"x" * 5000)
    endpoint = register(api, hook.url, ["message.sent"])
    emit(app, "message.sent")
    (delivery,) = finished(api, endpoint["id"], 1)
    assert delivery["attempts"][0]["responseBody"] == "x" * 2048


def test_retry_after_is_honoured(app: FastAPI, api: httpx.Client, hook: Receiver) -> None:
    hook.replies = [Reply(429, {"Retry-After": "1"})]
    endpoint = register(api, hook.url, ["message.sent"])
    emit(app, "message.sent")
    (delivery,) = finished(api, endpoint["id"], 1)
    first, second = (datetime.fromisoformat(a["attemptedAt"]) for a in delivery["attempts"])
    # The schedule alone would retry after 0.2 s; the receiver asked for a second.
    assert second - first >= timedelta(seconds=1)


def test_gone_disables_the_endpoint(app: FastAPI, api: httpx.Client, hook: Receiver) -> None:
    hook.default = Reply(410)
    endpoint = register(api, hook.url, ["message.sent"])
    emit(app, "message.sent")
    (delivery,) = finished(api, endpoint["id"], 1)
    assert delivery["status"] == "failed"
    assert len(delivery["attempts"]) == 1
    shown = api.get(f"/v1/webhooks/{endpoint['id']}").json()
    assert shown["enabled"] is False
    assert "410" in shown["disabledReason"]
    emit(app, "message.sent")
    emit(app, "agent.updated")  # a later event still flows, just not to this endpoint
    wait_until(lambda: len(hook.received()) == 1 and not _unfanned(app), what="fan-out")
    assert len(deliveries(api, endpoint["id"])) == 1


def _unfanned(app: FastAPI) -> bool:
    from sqlalchemy import select

    from widget.server.webhooks.outbox import OutboxEvent

    with app.state.sessions() as session:
        return session.scalar(select(OutboxEvent.id).where(~OutboxEvent.fanned_out)) is not None


def test_endpoint_failing_for_five_days_is_disabled(
    app: FastAPI, api: httpx.Client, hook: Receiver
) -> None:
    hook.default = Reply(500)
    endpoint = register(api, hook.url, ["message.sent"])
    with transaction(app.state.sessions) as session:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint["id"])
            .values(failing_since=datetime.now(UTC) - timedelta(days=5, minutes=1))
        )
    emit(app, "message.sent")
    (delivery,) = finished(api, endpoint["id"], 1)
    assert delivery["status"] == "failed"
    shown = api.get(f"/v1/webhooks/{endpoint['id']}").json()
    assert shown["enabled"] is False
    assert "every attempt failed" in shown["disabledReason"]
    assert "5 days" in shown["disabledReason"]
    assert "endpoint disabled" in delivery["lastError"]


def test_a_success_resets_the_failure_streak(
    app: FastAPI, api: httpx.Client, hook: Receiver
) -> None:
    hook.replies = [Reply(500)]
    endpoint = register(api, hook.url, ["message.sent"])
    emit(app, "message.sent")
    finished(api, endpoint["id"], 1)
    assert api.get(f"/v1/webhooks/{endpoint['id']}").json()["failingSince"] is None


def test_rotation_signs_with_both_secrets_for_a_day(
    app: FastAPI, api: httpx.Client, hook: Receiver
) -> None:
    endpoint = register(api, hook.url, ["message.sent"])
    old = endpoint["secret"]
    rotated = api.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    expires = datetime.fromisoformat(rotated.json()["previousSecretExpiresAt"])
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24)
    assert new not in str(api.get(f"/v1/webhooks/{endpoint['id']}").json())

    emit(app, "message.sent")
    (request,) = hook.wait_for(1)
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    verify(old, request)
    verify(new, request)

    # Once the overlap is over, only the new secret signs.
    with transaction(app.state.sessions) as session:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint["id"])
            .values(previous_secret_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    emit(app, "message.sent")
    later = hook.wait_for(2)[1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    verify(new, later)
    with pytest.raises(WebhookVerificationError):
        verify(old, later)


def test_redelivery_sends_the_same_message_again(
    app: FastAPI, api: httpx.Client, hook: Receiver
) -> None:
    endpoint = register(api, hook.url, ["lead.captured"])
    emit(app, "lead.captured")
    (delivery,) = finished(api, endpoint["id"], 1)
    response = api.post(f"/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver")
    assert response.status_code == 202, response.text
    first, again = hook.wait_for(2)
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == delivery["webhookId"]
    assert again.body == first.body
    verify(endpoint["secret"], again)
    (logged,) = finished(api, endpoint["id"], 1)
    wait_until(lambda: len(deliveries(api, endpoint["id"])[0]["attempts"]) == 2)
    assert logged["status"] == "succeeded"

    missing = api.post(f"/v1/webhooks/{endpoint['id']}/deliveries/msg_nope/redeliver")
    assert missing.status_code == 404


def test_test_event_uses_sample_data_of_the_chosen_event(api: httpx.Client, hook: Receiver) -> None:
    endpoint = register(api, hook.url, ["lead.captured"])
    response = api.post(f"/v1/webhooks/{endpoint['id']}/test", json={"event": "training.completed"})
    assert response.status_code == 202, response.text
    assert response.json()["test"] is True
    (request,) = hook.wait_for(1)
    payload = verify(endpoint["secret"], request)
    envelope = parse_webhook(request.body)
    assert envelope.event == "training.completed"
    assert payload["data"]["source"] == "product-docs"
    (logged,) = finished(api, endpoint["id"], 1)
    assert logged["test"] is True and logged["webhookId"] == request.headers["webhook-id"]

    bad = api.post(f"/v1/webhooks/{endpoint['id']}/test", json={"event": "lead.created"})
    assert bad.status_code == 422
    assert "valid events" in bad.json()["error"]["message"]


def test_delivery_detail_and_deletion(app: FastAPI, api: httpx.Client, hook: Receiver) -> None:
    endpoint = register(api, hook.url, ["lead.captured"])
    emit(app, "lead.captured")
    (delivery,) = finished(api, endpoint["id"], 1)
    detail = api.get(f"/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}").json()
    assert detail["body"].encode() == hook.received()[0].body

    assert api.delete(f"/v1/webhooks/{endpoint['id']}").status_code == 204
    assert api.get(f"/v1/webhooks/{endpoint['id']}").status_code == 404
    assert api.get(f"/v1/webhooks/{endpoint['id']}/deliveries").status_code == 404
    assert api.delete(f"/v1/webhooks/{endpoint['id']}").status_code == 404
    emit(app, "lead.captured")
    wait_until(lambda: not _unfanned(app), what="fan-out")
    assert len(hook.received()) == 1


def test_chat_api_events_reach_the_receiver(api: httpx.Client, hook: Receiver) -> None:
    endpoint = register(api, hook.url, ["conversation.started", "message.sent"])
    started = api.post("/v1/conversations", json={"agentId": "ag_demo"})
    assert started.status_code == 201, started.text
    conversation = started.json()
    sent = api.post(
        f"/v1/conversations/{conversation['conversationId']}/messages",
        json={"content": "Hello there"},
        headers={"Authorization": f"Bearer {conversation['visitorToken']}"},
    )
    assert sent.status_code == 200, sent.text
    requests = hook.wait_for(3)
    events = sorted(verify(endpoint["secret"], r)["event"] for r in requests)
    assert events == ["conversation.started", "message.sent", "message.sent"]


def test_redelivery_waits_for_an_attempt_in_flight(
    app: FastAPI, api: httpx.Client, hook: Receiver
) -> None:
    hook.hold = threading.Event()
    endpoint = register(api, hook.url, ["lead.captured"])
    emit(app, "lead.captured")
    hook.wait_for(1)
    (delivery,) = deliveries(api, endpoint["id"])
    busy = api.post(f"/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver")
    assert busy.status_code == 409
    assert "being sent right now" in busy.json()["error"]["message"]
    hook.hold.set()
    finished(api, endpoint["id"], 1)
    again = api.post(f"/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 202
    assert len({r.headers["webhook-id"] for r in hook.wait_for(2)}) == 1
