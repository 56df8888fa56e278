"""The loading policy (`data-load`) and the panel before Python: what a page pays before intent,
what starts the boot, and what the visitor may do while it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FrameLocator, Page, Route, expect

from tests.browser.conftest import (
    HostSite,
    holding,
    seen_names,
    wait_held,
    wait_ready_,
    within,
)

RECORDER = (
    "<script>window.seen=[];widget.events.forEach(function(n){"
    "widget.on(n,function(d){window.seen.push({name:n,data:d})})});</script>"
)


def chat_frame(page: Page) -> FrameLocator:
    return page.frame_locator("iframe[title='Chat']")


def launcher(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("button", name="Open chat", exact=True)


def snippet(host_site: HostSite, policy: str | None = None) -> str:
    text = host_site.snippet()
    if policy is not None:
        text = text.replace("<script async src=", f'<script data-load="{policy}" async src=', 1)
    return text


def widget_requests(urls: list[str], host_site: HostSite) -> list[str]:
    return [u for u in urls if u.startswith(host_site.widget.url + "/")]


def settle(page: Page) -> None:
    """Wait for the page's load event, then two idle periods and a frame: the shim has done all
    it would do without intent."""
    page.wait_for_function("document.readyState === 'complete'", timeout=30_000)
    page.evaluate(
        within(
            "new Promise(r => requestIdleCallback(() => requestIdleCallback(() =>"
            " requestAnimationFrame(() => r()))))"
        )
    )


def wait_for(page: Page, name: str, count: int = 1) -> None:
    page.wait_for_function(
        f"window.seen.filter(e => e.name === {name!r}).length >= {count}", timeout=90_000
    )


def transcript_of(host_site: HostSite, page: Page) -> list[dict[str, Any]]:
    """The server's transcript of the conversation the events name."""
    conversation = page.evaluate(
        "window.seen.find(e => e.name === 'conversation_started').data.conversationId"
    )
    with host_site.widget.admin() as admin:
        data = admin.get(f"/v1/conversations/{conversation}").json()
    messages: list[dict[str, Any]] = data["messages"]
    return messages


def test_nothing_but_widget_js_before_intent(page: Page, host_site: HostSite) -> None:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(host_site.page("<h1>Shop</h1>" + host_site.snippet() + RECORDER))
    expect(launcher(page)).to_be_visible()
    settle(page)
    assert widget_requests(urls, host_site) == [host_site.widget.widget_js]
    assert page.locator("iframe").count() == 0
    assert page.evaluate("window.seen") == []


@pytest.mark.parametrize("signal", ["hover", "focus", "click", "open", "toggle", "load"])
def test_each_intent_signal_starts_the_boot(page: Page, host_site: HostSite, signal: str) -> None:
    page.goto(host_site.page(host_site.snippet() + RECORDER))
    settle(page)
    button = launcher(page)
    with page.expect_request("**/frame.html?**"):
        if signal == "hover":
            button.hover()
        elif signal == "focus":
            button.focus()
        elif signal == "click":
            button.click()
        else:
            page.evaluate(f"widget.{signal}()")
    if signal in ("click", "open", "toggle"):
        expect(chat_frame(page).get_by_role("textbox", name="Message")).to_be_editable()
    if signal == "hover":
        wait_ready_(page, load=False)  # hover alone boots Python, not just the frame


def test_a_tap_starts_the_boot(browser: Browser, host_site: HostSite) -> None:
    context = browser.new_context(has_touch=True, viewport={"width": 375, "height": 667})
    page = context.new_page()
    try:
        page.goto(host_site.page(host_site.snippet() + RECORDER))
        settle(page)
        with page.expect_request("**/frame.html?**"):
            launcher(page).tap()
        expect(chat_frame(page).get_by_role("textbox", name="Message")).to_be_editable()
        wait_for(page, "widget_opened")
    finally:
        context.close()


def test_idle_starts_after_the_page_has_loaded(page: Page, host_site: HostSite) -> None:
    page.goto(host_site.page(snippet(host_site, "idle") + RECORDER))
    wait_ready_(page, load=False)
    started, loaded = page.evaluate(
        """() => [performance.getEntriesByType('resource')
                    .find(e => e.name.includes('/frame.html')).startTime,
                  performance.getEntriesByType('navigation')[0].loadEventEnd]"""
    )
    assert started >= loaded > 0
    assert page.evaluate("window.seen") == []


def test_eager_starts_at_once(page: Page, host_site: HostSite) -> None:
    page.goto(host_site.page(snippet(host_site, "eager") + RECORDER), wait_until="commit")
    wait_ready_(page, load=False)
    started, loaded = page.evaluate(
        """() => [performance.getEntriesByType('resource')
                    .find(e => e.name.includes('/frame.html')).startTime,
                  performance.getEntriesByType('navigation')[0].loadEventStart]"""
    )
    assert started < loaded  # a frame made at once holds back the page's load event


def test_an_unknown_policy_is_reported_and_waits_for_intent(
    page: Page, host_site: HostSite
) -> None:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    with page.expect_console_message(lambda m: 'data-load="soon"' in m.text) as message:
        page.goto(host_site.page(snippet(host_site, "soon")))
    assert message.value.type == "error"
    assert "intent, idle or eager" in message.value.text
    settle(page)
    assert widget_requests(urls, host_site) == [host_site.widget.widget_js]


def test_messages_sent_before_python_arrive_once_in_order(page: Page, host_site: HostSite) -> None:
    page.goto(host_site.page(host_site.snippet() + RECORDER))
    frame = chat_frame(page)
    with holding(page.context, "**/*.whl") as held:
        launcher(page).click()
        box = frame.get_by_role("textbox", name="Message")
        box.fill("What does this product do?")
        box.press("Enter")
        expect(box).to_have_value("")
        box.fill("And what does it cost?")
        frame.get_by_role("button", name="Send").click()
        log = frame.get_by_role("log", name="Conversation")
        expect(log).to_contain_text("What does this product do?")
        expect(log).to_contain_text("And what does it cost?")
        expect(frame.get_by_role("status")).to_contain_text("Connecting")
        # Closing and reopening meanwhile loses and doubles nothing.
        frame.get_by_role("button", name="Close chat").click()
        launcher(page).click()
        wait_held(page, held)
        assert page.evaluate("window.seen") == []  # events come from Python, once it runs
    wait_for(page, "message_received", 2)
    assert seen_names(page) == [
        "widget_opened",
        "widget_closed",
        "widget_opened",
        "conversation_started",
        "message_sent",
        "message_received",
        "message_sent",
        "message_received",
    ]
    sent = [
        e["data"]["message"] for e in page.evaluate("window.seen") if e["name"] == "message_sent"
    ]
    assert sent == ["What does this product do?", "And what does it cost?"]
    users = [m["content"] for m in transcript_of(host_site, page) if m["role"] == "user"]
    assert users == sent
    expect(frame.get_by_role("status")).to_be_hidden()


def test_what_was_sent_during_the_boot_survives_a_reload(page: Page, host_site: HostSite) -> None:
    url = host_site.page(host_site.snippet() + RECORDER)
    page.goto(url)
    frame = chat_frame(page)
    with holding(page.context, "**/*.whl") as held:
        launcher(page).click()
        box = frame.get_by_role("textbox", name="Message")
        box.fill("Sent before a reload")
        box.press("Enter")
        expect(frame.get_by_role("log")).to_contain_text("Sent before a reload")
        wait_held(page, held)
        page.reload()
        launcher(page).click()
        expect(frame.get_by_role("log")).to_contain_text("Sent before a reload")
    wait_for(page, "message_received")
    assert seen_names(page) == [
        "widget_opened",
        "conversation_started",
        "message_sent",
        "message_received",
    ]
    users = [m["content"] for m in transcript_of(host_site, page) if m["role"] == "user"]
    assert users == ["Sent before a reload"]


def _abort(route: Route) -> None:
    route.abort("internetdisconnected")


def _broken_wheel(route: Route) -> None:
    route.fulfill(status=200, body=b"not a wheel", content_type="application/octet-stream")


@pytest.mark.parametrize(
    ("pattern", "fault"),
    [
        ("**/pyodide.asm.wasm", _abort),
        ("**/python_stdlib.zip", _abort),
        ("**/widget-*.whl", _broken_wheel),
    ],
    ids=["offline-wasm", "blocked-stdlib", "broken-wheel"],
)
def test_a_failed_boot_says_so_retries_and_keeps_the_text(
    page: Page, host_site: HostSite, pattern: str, fault: Callable[[Route], None]
) -> None:
    page.goto(host_site.page(host_site.snippet() + RECORDER))
    frame = chat_frame(page)
    page.context.route(pattern, fault)
    launcher(page).click()
    box = frame.get_by_role("textbox", name="Message")
    box.fill("Hello from a flaky line")
    box.press("Enter")
    box.fill("half-typed")
    alert = frame.get_by_role("alert")
    expect(alert).to_contain_text("couldn't start", timeout=60_000)
    expect(frame.get_by_role("status")).to_be_hidden()
    expect(frame.get_by_role("log")).to_contain_text("Hello from a flaky line")
    page.context.unroute(pattern)
    frame.get_by_role("button", name="Retry").click()
    wait_for(page, "message_received")
    assert seen_names(page) == [
        "widget_opened",
        "conversation_started",
        "message_sent",
        "message_received",
    ]
    expect(box).to_have_value("half-typed")
    users = [m["content"] for m in transcript_of(host_site, page) if m["role"] == "user"]
    assert users == ["Hello from a flaky line"]


def test_a_boot_retry_keeps_the_text_in_a_frame_denied_storage(
    storageless_browser: Browser, host_site: HostSite
) -> None:
    page = storageless_browser.new_page()
    try:
        page.goto(host_site.page(host_site.snippet() + RECORDER))
        frame = chat_frame(page)
        page.context.route("**/pyodide.asm.wasm", _abort)
        launcher(page).click()
        box = frame.get_by_role("textbox", name="Message")
        box.fill("Kept by the page, not the frame")
        box.press("Enter")
        expect(frame.get_by_role("alert")).to_contain_text("couldn't start", timeout=60_000)
        page.context.unroute("**/pyodide.asm.wasm")
        frame.get_by_role("button", name="Retry").click()
        wait_for(page, "message_received")
        users = [m["content"] for m in transcript_of(host_site, page) if m["role"] == "user"]
        assert users == ["Kept by the page, not the frame"]
    finally:
        page.close()


def test_ready_waits_for_intent_and_load_returns_it(page: Page, host_site: HostSite) -> None:
    page.goto(host_site.page(host_site.snippet()))
    settle(page)
    pending = "Promise.race([widget.ready.then(() => 'ready'), new Promise(r => setTimeout(r))])"
    assert page.evaluate(pending) is None
    assert page.evaluate("widget.load() === widget.ready")
    wait_ready_(page, load=False)


def test_the_frame_document_is_small_on_the_wire(host_site: HostSite) -> None:
    # The panel before Python is the frame's document: served per agent, compressed. It comes
    # only on intent; 8 KiB is a few milliseconds even on a slow link.
    response = httpx.get(
        f"{host_site.widget.url}/frame.html?agent=ag_demo", headers={"Accept-Encoding": "br"}
    )
    assert response.status_code == 200
    assert int(response.headers["content-length"]) < 8192
