"""The demo host page at `/` embeds the widget with the real snippet and logs every event."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import WidgetServer, wait_ready_


def test_demo_page_logs_the_events_it_receives(page: Page, widget_server: WidgetServer) -> None:
    page.goto(widget_server.url + "/")
    expect(page.get_by_role("button", name="Open chat")).to_be_visible()
    wait_ready_(page)
    page.get_by_role("button", name="Open", exact=True).click()
    frame = page.frame_locator("iframe[title='Chat']")
    box = frame.get_by_role("textbox", name="Message")
    expect(box).to_be_focused()
    box.fill("How much does it cost?")
    box.press("Enter")
    log = page.get_by_role("log", name="Event log")
    expect(log).to_contain_text("message_received")
    for name in ("widget_opened", "conversation_started", "message_sent"):
        expect(log).to_contain_text(name)
    # A reply that lands while the panel is closed: the log lists the unread count as well.
    page.evaluate("widget.send('And the pricing?'); widget.close()")
    expect(log).to_contain_text("unread_count_changed", timeout=20_000)
    expect(log).to_contain_text('{"count":1}', timeout=5_000)
