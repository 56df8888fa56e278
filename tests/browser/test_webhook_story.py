"""The owner's backend gets the visitor's whole story, signed, as the host page gets its events."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import HostSite, WidgetServer, wait_ready_
from tests.server.conftest import wait_until
from widget.events import WEBHOOK_EVENTS, parse_webhook
from widget.receiver import WebhookReceiver, running


@pytest.fixture
def registered_receiver(widget_server: WidgetServer) -> Iterator[WebhookReceiver]:
    # Until the endpoint exists there is no secret: what arrives before is refused and retried.
    with running("whsec_" + "A" * 32) as (receiver, url):
        with widget_server.admin() as admin:
            created = admin.post("/v1/webhooks", json={"url": url, "events": list(WEBHOOK_EVENTS)})
            assert created.status_code == 201, created.text
            endpoint = created.json()
        receiver.use_secret(endpoint["secret"])
        yield receiver
        with widget_server.admin() as admin:
            admin.delete(f"/v1/webhooks/{endpoint['id']}")


def test_a_chat_in_the_browser_arrives_as_verified_webhooks(
    page: Page, host_site: HostSite, registered_receiver: WebhookReceiver
) -> None:
    page.goto(host_site.page(host_site.snippet()))
    wait_ready_(page)
    page.evaluate("widget.open()")
    frame = page.frame_locator("iframe[title='Chat']")
    box = frame.get_by_role("textbox", name="Message")
    expect(box).to_be_focused()
    box.fill("Do you integrate with HubSpot?")
    box.press("Enter")
    expect(frame.locator(".msg.assistant")).to_have_count(2)
    box.fill("Sure: Ada Lovelace, ada@engines.example, Analytical Engines Ltd")
    box.press("Enter")
    expect(frame.locator(".msg.assistant")).to_have_count(3)
    frame.get_by_role("button", name="New conversation").click()

    def events() -> list[str]:
        return [e["event"] for e in registered_receiver.received]

    wait_until(lambda: "conversation.ended" in events(), what="conversation.ended")
    # Deliveries run concurrently and may arrive in any order; the envelope's timestamp orders
    # them, and events raised in one transaction share it: break ties by the story's own order.
    causal = ["conversation.started", "message.sent", "lead.captured", "conversation.ended"]
    mine = sorted(
        (parse_webhook(json.dumps(e)) for e in registered_receiver.received),
        key=lambda e: (
            e.timestamp,
            causal.index(e.event),
            getattr(e.data, "role", None) == "assistant",
        ),
    )
    conversation_id = mine[0].data.conversation_id  # type: ignore[union-attr]
    story = [
        (e.event, getattr(e.data, "role", None))
        for e in mine
        if getattr(e.data, "conversation_id", None) == conversation_id or e.event == "lead.captured"
    ]
    assert story == [
        ("conversation.started", None),
        ("message.sent", "user"),
        ("message.sent", "assistant"),
        ("message.sent", "user"),
        ("message.sent", "assistant"),
        ("lead.captured", None),
        ("conversation.ended", None),
    ]
    lead = next(e.data for e in mine if e.event == "lead.captured")
    assert lead.email == "ada@engines.example"  # type: ignore[union-attr]
    assert lead.message == "Do you integrate with HubSpot?"  # type: ignore[union-attr]
