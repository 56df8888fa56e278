"""The conversation in the browser: the six events, their order, leads, reloads, outages, keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, FrameLocator, Page, Route, expect

from tests.browser.conftest import (
    ADMIN_KEY,
    HostSite,
    WidgetServer,
    free_port,
    seen,
    seen_names,
    start_widget_server,
    stop_widget_server,
    wait_ready_,
)


def chat_frame(page: Page) -> FrameLocator:
    return page.frame_locator("iframe[title='Chat']")


def open_chat(page: Page) -> FrameLocator:
    page.evaluate("widget.open()")
    frame = chat_frame(page)
    expect(frame.get_by_role("textbox", name="Message")).to_be_focused()
    return frame


def send(frame: FrameLocator, text: str) -> None:
    box = frame.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def wait_for(page: Page, name: str, count: int = 1) -> None:
    page.wait_for_function(
        f"window.seen.filter(e => e.name === {name!r}).length >= {count}", timeout=20_000
    )


def transcript(frame: FrameLocator):  # type: ignore[no-untyped-def]
    return frame.get_by_role("log", name="Conversation")


def test_a_conversation_fires_every_event_in_order_and_one_lead(
    events_page: Callable[..., Page], widget_server: WidgetServer
) -> None:
    page = events_page()
    frame = open_chat(page)
    send(frame, "What does this product do?")
    wait_for(page, "message_received")
    expect(transcript(frame)).to_contain_text("What does this product do?")
    send(frame, "Great. I'm Jane Doe from Acme Inc, jane@acme.example, +1 415 555 0100")
    wait_for(page, "lead_captured")
    send(frame, "Actually, please use jane.doe@acme.example instead")
    wait_for(page, "message_received", 3)
    page.evaluate("widget.close()")
    wait_for(page, "widget_closed")

    events = seen(page)
    assert [e["name"] for e in events] == [
        "widget_opened",
        "conversation_started",
        "message_sent",
        "message_received",
        "message_sent",
        "message_received",
        "lead_captured",
        "message_sent",
        "message_received",
        "widget_closed",
    ]
    assert all(e["plain"] for e in events)
    conversation_id = events[1]["data"]["conversationId"]
    assert conversation_id.startswith("conv_")
    assert events[2]["data"]["message"] == "What does this product do?"
    assert events[6]["data"] == {"conversationId": conversation_id}
    answer = events[3]["data"]["message"]
    assert "widget" in answer.lower()
    with widget_server.admin() as admin:
        leads = [
            lead
            for lead in admin.get("/v1/leads").json()["data"]
            if lead["conversationId"] == conversation_id
        ]
    assert len(leads) == 1
    assert leads[0]["email"] == "jane.doe@acme.example"
    assert leads[0]["name"] == "Jane Doe"
    assert leads[0]["message"] == "What does this product do?"


def test_enter_sends_shift_enter_adds_a_line_and_blank_sends_nothing(
    events_page: Callable[..., Page],
) -> None:
    page = events_page()
    frame = open_chat(page)
    box = frame.get_by_role("textbox", name="Message")
    box.fill("   ")
    box.press("Enter")
    frame.get_by_role("button", name="Send").click()
    box.fill("first line")
    box.press("Shift+Enter")
    box.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    box.press("Enter")
    wait_for(page, "message_received")
    assert [e["data"]["message"] for e in seen(page) if e["name"] == "message_sent"] == [
        "first line\nsecond line"
    ]


def test_text_from_the_visitor_and_server_is_shown_as_text_with_safe_links(
    events_page: Callable[..., Page],
) -> None:
    page = events_page()
    frame = open_chat(page)
    send(frame, '<img src=x onerror="parent.hacked=1"> see https://example.com/a?b=1')
    wait_for(page, "message_received")
    log = transcript(frame)
    expect(log).to_contain_text('<img src=x onerror="parent.hacked=1">')
    assert log.locator("img").count() == 0
    link = log.get_by_role("link", name="https://example.com/a?b=1")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")


def test_a_reply_drawn_from_documents_names_its_sources(
    events_page: Callable[..., Page],
) -> None:
    page = events_page()
    frame = open_chat(page)
    send(frame, "How much does it cost?")
    wait_for(page, "message_received")
    expect(transcript(frame).locator(".msg.assistant .sources")).to_have_text("Sources: pricing.md")


def test_typing_indicator_while_the_agent_answers(events_page: Callable[..., Page]) -> None:
    page = events_page()
    frame = open_chat(page)
    held: list[Route] = []
    # Hold the reply until the indicator has been seen, then let it through.
    page.context.route(
        "**/v1/conversations/*/messages",
        lambda route, request: (
            held.append(route) if request.method == "POST" else route.continue_()
        ),
    )
    send(frame, "How much does it cost?")
    typing = frame.get_by_role("status", name="The assistant is typing")
    while not held:  # the conversation is created first, then the message is posted
        page.wait_for_timeout(20)
    expect(typing).to_be_visible()
    assert len(held) == 1
    held[0].continue_()
    wait_for(page, "message_received")
    expect(typing).to_have_count(0)


def test_a_reload_keeps_the_conversation(
    events_page: Callable[..., Page], widget_server: WidgetServer
) -> None:
    page = events_page()
    frame = open_chat(page)
    send(frame, "How do I install it?")
    wait_for(page, "message_received")
    first_id = seen(page)[1]["data"]["conversationId"]
    page.reload()
    wait_ready_(page)
    frame = open_chat(page)
    expect(transcript(frame)).to_contain_text("How do I install it?")
    page.evaluate("window.seen = []")
    send(frame, "And does it work with HubSpot?")
    wait_for(page, "message_received")
    assert seen_names(page) == ["message_sent", "message_received"]
    assert seen(page)[0]["data"]["conversationId"] == first_id
    with widget_server.admin() as admin:
        messages = admin.get(f"/v1/conversations/{first_id}").json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]


def test_new_conversation_is_a_visible_action_that_ends_the_old_one(
    events_page: Callable[..., Page], widget_server: WidgetServer
) -> None:
    page = events_page()
    frame = open_chat(page)
    send(frame, "Hello there")
    wait_for(page, "message_received")
    frame.get_by_role("button", name="New conversation").click()
    expect(transcript(frame)).not_to_contain_text("Hello there")
    send(frame, "Hello again")
    wait_for(page, "conversation_started", 2)
    started = [
        e["data"]["conversationId"] for e in seen(page) if e["name"] == "conversation_started"
    ]
    assert started[0] != started[1]
    with widget_server.admin() as admin:
        old = admin.get(f"/v1/conversations/{started[0]}").json()
        new = admin.get(f"/v1/conversations/{started[1]}").json()
    assert old["endedAt"] is not None
    assert new["endedAt"] is None


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[WidgetServer]:
    server = start_widget_server(tmp_path, port=free_port())
    yield server
    stop_widget_server(server)


def test_server_down_then_back_loses_nothing_and_sends_nothing_twice(
    page: Page, host_site: HostSite, own_server: WidgetServer, tmp_path: Path
) -> None:
    recorder = (
        "<script>window.seen=[];['conversation_started','message_sent','message_received']"
        ".forEach(n=>widget.on(n,d=>seen.push({name:n,data:d})));</script>"
    )
    page.goto(host_site.page(host_site.snippet(widget_js=own_server.widget_js) + recorder))
    wait_ready_(page)
    frame = open_chat(page)
    stop_widget_server(own_server)

    send(frame, "Are you there?")
    alert = frame.get_by_role("alert")
    expect(alert).to_contain_text("Can't reach the chat server")
    expect(transcript(frame)).to_contain_text("Are you there?")
    frame.get_by_role("button", name="Retry").click()
    expect(frame.get_by_role("button", name="Retry")).to_be_visible()
    assert seen(page) == []

    port = int(own_server.url.rsplit(":", 1)[1])
    back = start_widget_server(tmp_path, port=port)
    try:
        frame.get_by_role("button", name="Retry").click()
        wait_for(page, "message_received")
        expect(alert).to_have_count(0)
        assert seen_names(page) == ["conversation_started", "message_sent", "message_received"]
        conversation_id = seen(page)[0]["data"]["conversationId"]
        with httpx.Client(base_url=back.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as c:
            messages = c.get(f"/v1/conversations/{conversation_id}").json()["messages"]
        assert [m["content"] for m in messages if m["role"] == "user"] == ["Are you there?"]
    finally:
        stop_widget_server(back)


def test_keyboard_only_from_launcher_to_reply_and_back(events_page: Callable[..., Page]) -> None:
    page = events_page()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Open chat")).to_be_focused()
    page.keyboard.press("Enter")
    frame = chat_frame(page)
    expect(frame.get_by_role("textbox", name="Message")).to_be_focused()
    page.keyboard.type("What events can my page listen to?")
    page.keyboard.press("Enter")
    wait_for(page, "message_received")
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Open chat")).to_be_focused()
    assert seen_names(page)[-1] == "widget_closed"


def test_the_panel_fills_a_phone_screen(page: Page, host_site: HostSite) -> None:
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(host_site.page(host_site.snippet()))
    wait_ready_(page)
    page.get_by_role("button", name="Open chat").click()
    box = page.locator("iframe[title='Chat']").bounding_box()
    assert box is not None
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 667)
    expect(chat_frame(page).get_by_role("button", name="Close chat")).to_be_visible()


def test_the_widget_starts_and_chats_in_a_frame_denied_storage(
    storageless_browser: Browser, host_site: HostSite
) -> None:
    page = storageless_browser.new_page()
    recorder = (
        "<script>window.seen=[];['message_received'].forEach(n=>widget.on(n,d=>seen.push("
        "{name:n,data:d})));</script>"
    )
    page.goto(host_site.page(host_site.snippet() + recorder))
    wait_ready_(page)
    assert (
        page.frames[1].evaluate(
            "() => { try { localStorage.length; return true } catch (e) { return false } }"
        )
        is False
    )
    frame = open_chat(page)
    send(frame, "What does this product do?")
    wait_for(page, "message_received")
    page.close()
