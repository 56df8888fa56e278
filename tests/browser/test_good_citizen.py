"""The widget as a good citizen of any page: a strict CSP, single-page apps, consent, phones and
tag managers (issue 13)."""

from __future__ import annotations

import time

from playwright.sync_api import Browser, FrameLocator, Page, expect

from tests.browser.conftest import BOOT_TIMEOUT_MS, HostSite, WidgetServer

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
    """Wait until `expression` is true in the page.

    Not `wait_for_function`: Playwright runs its predicate through eval(), which a strict page
    policy refuses; `evaluate` is not subject to the page's policy.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}: " + str(
            page.evaluate("window.seen && window.seen.map(e => e.name)")
        )
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


def transcript(frame: FrameLocator):  # type: ignore[no-untyped-def]
    return frame.get_by_role("log", name="Conversation")


def open_page(page: Page, host_site: HostSite, extra: str = "") -> Page:
    page.goto(host_site.page("<main><h1>App</h1></main>" + nonced_snippet(host_site) + RECORDER))
    wait_ready(page)
    return page


def names(page: Page, array: str = "window.seen") -> list[str]:
    result: list[str] = page.evaluate(f"{array}.map(e => e.name)")
    return result


def test_a_single_page_app_navigation_keeps_the_open_conversation(
    page: Page, host_site: HostSite
) -> None:
    open_page(page, host_site)
    page.evaluate("widget.open()")
    frame = chat_frame(page)
    send(frame, "What does this product do?")
    wait_for(page, "message_received")

    # The router: a new URL, and the body's children replaced by the next view.
    page.evaluate(
        "history.pushState({}, '', '/pricing');"
        "document.body.replaceChildren(Object.assign(document.createElement('main'),"
        " { textContent: 'Pricing' }))"
    )
    expect(page.get_by_role("button", name="Close chat", exact=True)).to_be_attached()
    expect(transcript(frame)).to_contain_text("What does this product do?", timeout=60_000)
    expect(page.locator("iframe[title='Chat']")).to_be_visible()
    send(frame, "And what does it cost?")
    wait_for(page, "message_received", 2)
    # A framework that swaps the body element itself: the launcher comes back there too.
    page.evaluate(
        "document.documentElement.replaceChild(document.createElement('body'), document.body)"
    )
    expect(page.locator("body > parley-widget")).to_have_count(1)
    assert names(page) == [
        "widget_opened",
        "conversation_started",
        "message_sent",
        "message_received",
        "message_sent",
        "message_received",
    ]


def add_snippet(page: Page, host_site: HostSite) -> None:
    """What a single-page app does on mount: the snippet's two scripts and the page's listeners."""
    stub = host_site.stub_only().split("<script>", 1)[1].rsplit("</script>", 1)[0]
    recorder = RECORDER.split(">", 1)[1].rsplit("</script>", 1)[0]
    page.evaluate(
        """([stub, src, recorder]) => {
          for (const code of [stub, recorder]) {
            const inline = document.createElement("script");
            inline.textContent = code;
            document.body.append(inline);
          }
          const tag = Object.assign(document.createElement("script"), { async: true, src });
          tag.dataset.agentId = "ag_demo";
          document.body.append(tag);
        }""",
        [stub, host_site.widget.widget_js, recorder],
    )


def test_destroy_removes_everything_and_a_new_snippet_works_with_each_event_once(
    page: Page, host_site: HostSite
) -> None:
    open_page(page, host_site)
    page.evaluate("widget.open()")
    wait_for(page, "widget_opened")
    page.evaluate("window.before = window.seen; widget.destroy()")
    assert page.evaluate("typeof window.widget") == "undefined"
    expect(page.locator("parley-widget")).to_have_count(0)
    expect(page.locator("iframe")).to_have_count(0)

    add_snippet(page, host_site)
    wait_ready(page)
    expect(page.locator("parley-widget")).to_have_count(1)
    launcher(page).click()
    frame = chat_frame(page)
    send(frame, "Hello again")
    wait_for(page, "message_received")
    page.evaluate("widget.close()")
    wait_for(page, "widget_closed")
    assert names(page) == [
        "widget_opened",
        "conversation_started",
        "message_sent",
        "message_received",
        "widget_closed",
    ]
    assert names(page, "window.before") == ["widget_opened"]  # the old listeners are gone


def test_reset_forgets_the_conversation_and_starts_afresh_without_a_reload(
    page: Page, host_site: HostSite
) -> None:
    open_page(page, host_site)
    page.evaluate("widget.open()")
    frame = chat_frame(page)
    send(frame, "My secret question")
    wait_for(page, "message_received")

    page.evaluate("widget.reset()")
    expect(transcript(frame)).not_to_contain_text("My secret question")
    send(frame, "A new visitor here")
    wait_for(page, "message_received", 2)
    expect(transcript(frame)).not_to_contain_text("My secret question")
    started = page.evaluate(
        "window.seen.filter(e => e.name === 'conversation_started').map(e => e.data.conversationId)"
    )
    assert len(started) == 2 and started[0] != started[1]
    assert names(page).count("widget_opened") == 1

    # A reload shows the new conversation, not the forgotten one.
    page.reload()
    wait_ready(page)
    page.evaluate("widget.open()")
    expect(transcript(chat_frame(page))).to_contain_text("A new visitor here")
    expect(transcript(chat_frame(page))).not_to_contain_text("My secret question")


def consent_page(host_site: HostSite, policy: str = "eager") -> str:
    tag = f'<script data-consent="required" data-load="{policy}" async src='
    return host_site.page(nonced_snippet(host_site).replace("<script async src=", tag) + RECORDER)


def stored_by_the_page(page: Page) -> list[object]:
    result: list[object] = page.evaluate(
        "async () => [localStorage.length, sessionStorage.length, document.cookie,"
        " (await indexedDB.databases()).length]"
    )
    return result


def test_with_consent_required_nothing_loads_or_is_stored_until_consent(
    page: Page, host_site: HostSite
) -> None:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    # Even the eager policy waits, and so do hovering and focusing the launcher.
    page.goto(consent_page(host_site))
    page.wait_for_function("document.readyState === 'complete' && widget.__loaded", timeout=10_000)
    # Each of these would start the widget at once (synchronously) if it were allowed to.
    launcher(page).hover()
    launcher(page).focus()
    page.evaluate("widget.load(), 0")
    assert [u for u in urls if u.startswith(host_site.widget.url)] == [host_site.widget.widget_js]
    expect(page.locator("iframe")).to_have_count(0)
    assert stored_by_the_page(page) == [0, 0, "", 0]

    page.evaluate("widget.consent(true)")
    poll(page, "window.__ready === true || (widget.ready.then(() => window.__ready = true), false)")
    expect(page.locator("iframe")).to_have_count(1)
    # Withdrawn: the frame and its requests go.
    page.evaluate("widget.consent(false)")
    expect(page.locator("iframe")).to_have_count(0)
    assert stored_by_the_page(page) == [0, 0, "", 0]

    # The visitor opening the chat is consent too.
    urls.clear()
    page.goto(consent_page(host_site, "intent"))
    expect(launcher(page)).to_be_visible()
    assert [u for u in urls if u.startswith(host_site.widget.url)] == [host_site.widget.widget_js]
    launcher(page).click()
    expect(chat_frame(page).get_by_role("textbox", name="Message")).to_be_focused()
    wait_for(page, "widget_opened")


def test_on_a_phone_the_demo_fits_and_the_panel_covers_the_screen(
    browser: Browser, widget_server: WidgetServer
) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 667},
        has_touch=True,
        is_mobile=True,
        reduced_motion="reduce",
    )
    page = context.new_page()
    try:
        page.goto(widget_server.url + "/")
        expect(launcher(page)).to_be_in_viewport()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
        launcher(page).tap()
        frame = chat_frame(page)
        box = frame.get_by_role("textbox", name="Message")
        expect(box).to_be_visible()
        assert page.locator("iframe[title='Chat']").bounding_box() == {
            "x": 0,
            "y": 0,
            "width": 375,
            "height": 667,
        }
        # 16 px or more, or iOS zooms into the field; the page behind does not scroll.
        assert box.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16
        assert page.evaluate("getComputedStyle(document.documentElement).overflow") == "hidden"

        # The keyboard takes the lower part of the screen: the composer stays in sight.
        page.set_viewport_size({"width": 375, "height": 360})
        page.wait_for_function(
            "document.querySelector('parley-widget').shadowRoot.querySelector('iframe')"
            ".getBoundingClientRect().height === 360",
            timeout=5_000,
        )
        composer = box.bounding_box()
        assert composer is not None and composer["y"] + composer["height"] <= 360

        frame.get_by_role("button", name="Close chat").tap()
        expect(launcher(page)).to_be_visible()
        assert page.evaluate("getComputedStyle(document.documentElement).overflow") == "visible"
    finally:
        context.close()


def test_every_event_reaches_window_and_the_data_layer(page: Page, host_site: HostSite) -> None:
    tag_manager = (
        f"<script nonce='{NONCE}'>window.dataLayer = [{{ event: 'gtm.js' }}];"
        "window.onWindow = [];"
        "widget.events.forEach(n => addEventListener('parley:' + n, e =>"
        " window.onWindow.push({ name: e.type, detail: e.detail })));</script>"
    )
    snippet = nonced_snippet(host_site).replace(
        "<script async src=", "<script data-datalayer async src="
    )
    page.goto(host_site.page(snippet + RECORDER + tag_manager))
    wait_ready(page)
    page.evaluate("widget.open()")
    send(chat_frame(page), "What does this product do?")
    wait_for(page, "message_received")
    page.evaluate("widget.close()")
    wait_for(page, "widget_closed")

    events = page.evaluate("window.seen")
    assert [e["name"] for e in events] == [
        "widget_opened",
        "conversation_started",
        "message_sent",
        "message_received",
        "widget_closed",
    ]
    assert page.evaluate("window.onWindow") == [
        {"name": f"parley:{e['name']}", "detail": e["data"]} for e in events
    ]
    assert page.evaluate("window.dataLayer") == [{"event": "gtm.js"}] + [
        {"event": f"parley.{e['name']}", **e["data"]} for e in events
    ]
    assert events[1]["data"]["conversationId"]
