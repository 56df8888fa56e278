"""The host page's API beyond the six events, in a real browser: send/prefill through the stub
before widget.js arrives, the unread badge on the launcher, and a theme from the tag."""

from __future__ import annotations

import re

from playwright.sync_api import FrameLocator, Locator, Page, expect

from tests.browser.conftest import BOOT_TIMEOUT_MS, HostSite
from widget.server.agents.theme import MIN_CONTRAST, PALETTES, contrast

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


def colors(element: Locator) -> tuple[str, str]:
    """The element's text and background colours as #rrggbb."""
    pair = element.evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    )
    as_hex = []
    for css in pair:
        r, g, b = (int(n) for n in re.findall(r"\d+", css)[:3])
        as_hex.append(f"#{r:02x}{g:02x}{b:02x}")
    return as_hex[0], as_hex[1]


def test_a_theme_from_the_tag_colours_the_launcher_and_the_frame_readably(
    page: Page, host_site: HostSite
) -> None:
    tag = host_site.snippet().replace(
        'data-agent-id="ag_demo"',
        'data-agent-id="ag_demo" data-color="#FFD400" data-side="left"'
        ' data-launcher-label="Chat with us" data-scheme="dark"',
    )
    page.goto(host_site.page(tag))
    launcher = page.get_by_role("button", name="Open chat", exact=True)
    expect(launcher).to_contain_text("Chat with us", timeout=10_000)
    ink, background = colors(launcher)
    assert background == "#ffd400" and ink == "#000000"  # the shim chose black on yellow
    assert contrast(ink, background) >= MIN_CONTRAST
    box = launcher.bounding_box()
    assert box is not None and box["x"] < page.viewport_size["width"] / 2  # type: ignore[index]

    page.evaluate("widget.open()")
    frame = chat_frame(page)
    expect(frame.get_by_role("dialog")).to_be_visible(timeout=BOOT_TIMEOUT_MS)
    head_ink, head = colors(frame.locator(".head"))
    assert head == "#ffd400" and contrast(head_ink, head) >= MIN_CONTRAST  # chosen in Python
    ink, panel = colors(frame.locator(".panel"))
    assert panel == PALETTES["dark"]["--bg"] and contrast(ink, panel) >= MIN_CONTRAST
    panel_box = page.locator("iframe[title='Chat']").bounding_box()
    assert panel_box is not None and panel_box["x"] < 100  # on the left as well
