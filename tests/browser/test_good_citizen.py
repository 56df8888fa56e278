"""The widget as a good citizen of any page: a strict CSP, single-page apps, consent, phones and
tag managers (issue 13)."""

from __future__ import annotations

import time

from playwright.sync_api import FrameLocator, Page, expect

from tests.browser.conftest import BOOT_TIMEOUT_MS, HostSite

NONCE = "c2VjcmV0LW5vbmNl"
RECORDER = (
    "<script nonce='" + NONCE + "'>window.seen=[];widget.events.forEach(function(n){"
    "widget.on(n,function(d){window.seen.push({name:n,data:d})})});</script>"
)
# Every Content-Security-Policy violation, in the host page and in the frame alike.
VIOLATIONS = (
    "window.__violations = [];"
    "document.addEventListener('securitypolicyviolation', (e) =>"
    " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


def chat_frame(page: Page) -> FrameLocator:
    return page.frame_locator("iframe[title='Chat']")


def launcher(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("button", name="Open chat", exact=True)


def poll(page: Page, expression: str, timeout_ms: float = 20_000) -> None:
    """Wait until `expression` is true in the page. Not `wait_for_function`: Playwright runs its
    predicate through eval(), which a strict page policy refuses; `evaluate` is not subject to it."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def wait_for(page: Page, name: str, count: int = 1) -> None:
    poll(page, f"window.seen.filter(e => e.name === {name!r}).length >= {count}")


def wait_ready(page: Page) -> None:
    """Start the boot and wait for `widget.ready` (the default policy waits for intent)."""
    page.evaluate("widget.load().then(() => { window.__ready = true }), 0")
    poll(page, "window.__ready === true", BOOT_TIMEOUT_MS)


def send(frame: FrameLocator, text: str) -> None:
    box = frame.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def nonced_snippet(host_site: HostSite) -> str:
    return host_site.snippet().replace("<script>", f"<script nonce='{NONCE}'>", 1)


def test_a_strict_csp_page_gets_a_styled_working_widget(page: Page, host_site: HostSite) -> None:
    widget = host_site.widget.url
    # Exactly what the README asks a page to allow, and nothing else (default-src 'none').
    policy = (
        f"default-src 'none'; script-src 'nonce-{NONCE}' {widget}; frame-src {widget}; "
        "require-trusted-types-for 'script'"
    )
    page.add_init_script(VIOLATIONS)
    page.set_viewport_size({"width": 1280, "height": 720})
    url = host_site.page(
        "<h1>Shop</h1>" + nonced_snippet(host_site) + RECORDER,
        headers={"Content-Security-Policy": policy},
    )
    page.goto(url)

    button = launcher(page)
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None
    # A 60 px round button 24 px from the bottom right corner, out of the page's flow.
    assert (box["width"], box["height"]) == (60, 60)
    assert (box["x"] + 60, box["y"] + 60) == (1280 - 24, 720 - 24)
    icons = page.locator("parley-widget svg")
    expect(icons.nth(0)).to_be_visible()
    expect(icons.nth(1)).to_be_hidden()

    wait_ready(page)
    button.click()
    frame = chat_frame(page)
    expect(frame.get_by_role("textbox", name="Message")).to_be_focused()
    panel = page.locator("iframe[title='Chat']").bounding_box()
    assert panel is not None
    assert (panel["width"], panel["height"]) == (400, 600)
    send(frame, "What does this product do?")
    wait_for(page, "message_received")

    chat = next(f for f in page.frames if f.url.startswith(widget + "/frame.html"))
    assert chat.evaluate("window.__violations") == []
    assert page.evaluate("window.__violations") == []
