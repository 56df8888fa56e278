"""The host page's API beyond the six events, in a real browser: send/prefill through the stub
before widget.js arrives, and the unread badge on the launcher."""

from __future__ import annotations

from playwright.sync_api import FrameLocator, Page, expect

from tests.browser.conftest import BOOT_TIMEOUT_MS, HostSite

RECORDER = (
    "<script>window.seen=[];widget.events.forEach(function(n){"
    "widget.on(n,function(d){window.seen.push({name:n,data:d})})});</script>"
)


def chat_frame(page: Page) -> FrameLocator:
    return page.frame_locator("iframe[title='Chat']")


def wait_for(page: Page, condition: str, timeout: int = 20_000) -> None:
    page.wait_for_function(condition, timeout=timeout)


def test_send_from_the_stub_prefill_and_the_unread_badge(page: Page, host_site: HostSite) -> None:
    stub = host_site.stub_only()
    calls = (
        "<script>try { widget.send(42) } catch (e) { window.refused = e instanceof TypeError &&"
        " e.message }</script>"
        "<script>try { widget.identify({ email: 'a@b.c' }) } catch (e) {"
        " window.unidentified = e instanceof TypeError && e.message }</script>"
        "<script>widget.send('What does this product do?')</script>"
    )
    tag = host_site.snippet()[len(stub) :]
    page.goto(host_site.page(stub + RECORDER + calls + tag))
    assert "pass the message text as a string" in page.evaluate("window.refused")
    assert "userId must be a non-empty string" in page.evaluate("window.unidentified")
    # The send opened the panel and went out once Python ran, with the usual events.
    wait_for(page, "seen.some(e => e.name == 'message_received')", BOOT_TIMEOUT_MS)
    names = page.evaluate("seen.map(e => e.name)")
    assert names == ["widget_opened", "conversation_started", "message_sent", "message_received"]
    assert page.evaluate("seen[2].data.message") == "What does this product do?"

    frame = chat_frame(page)
    page.evaluate("widget.prefill('I would like a demo')")
    expect(frame.get_by_role("textbox", name="Message")).to_have_value(
        "I would like a demo", timeout=10_000
    )

    # A reply that arrives after the visitor closed the panel is unread.
    page.evaluate("widget.send('And the pricing?'); widget.close()")
    launcher = page.get_by_role("button", name="Open chat, 1 unread message", exact=True)
    expect(launcher).to_be_visible(timeout=20_000)
    assert page.evaluate("seen.filter(e => e.name == 'unread_count_changed')[0].data") == {
        "count": 1
    }
    launcher.click()
    wait_for(page, "seen.filter(e => e.name == 'unread_count_changed').length == 2")
    assert page.evaluate("seen.filter(e => e.name == 'unread_count_changed')[1].data") == {
        "count": 0
    }
    page.evaluate("widget.close()")
    expect(page.get_by_role("button", name="Open chat", exact=True)).to_be_visible(timeout=10_000)
