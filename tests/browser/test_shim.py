"""The host-page contract: the stub, widget.js, the launcher, and events crossing from the frame."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, FrameLocator, Page, expect

from tests.browser.conftest import (
    BOOT_TIMEOUT_MS,
    HostSite,
    holding,
    seen,
    seen_names,
    wait_held,
    wait_ready_,
)

EVENT_NAMES = (
    "widget_opened, widget_closed, conversation_started, message_sent, message_received, "
    "lead_captured"
)


def chat_frame(page: Page) -> FrameLocator:
    return page.frame_locator("iframe[title='Chat']")


def launcher(page: Page, name: str = "Open chat"):  # type: ignore[no-untyped-def]
    return page.get_by_role("button", name=name, exact=True)


def wait_events(page: Page, count: int) -> None:
    page.wait_for_function(f"window.seen.length >= {count}", timeout=10_000)


def test_listeners_added_before_widget_js_arrives_get_events(
    page: Page, host_site: HostSite
) -> None:
    # The stub alone: widget.js is injected only after the page has subscribed and asked to open.
    url = host_site.page(
        host_site.stub_only()
        + "<script>window.seen=[];widget.on('widget_opened',d=>seen.push('opened'));"
        "widget.once('widget_closed',d=>seen.push('closed-once'));"
        "const dropped=widget.on('widget_opened',d=>seen.push('never'));dropped();dropped();"
        "widget.open();</script>"
    )
    page.goto(url)
    assert page.evaluate("typeof widget.on('widget_opened', () => {})") == "function"
    page.evaluate(
        """src => { const s = document.createElement('script'); s.async = true; s.src = src;
        s.dataset.agentId = 'ag_demo'; document.body.appendChild(s); }""",
        host_site.widget.widget_js,
    )
    wait_ready_(page)
    page.wait_for_function("window.seen.length >= 1", timeout=10_000)
    page.evaluate("widget.close(); widget.open(); widget.close()")
    page.wait_for_function("window.seen.length >= 3", timeout=10_000)
    assert page.evaluate("window.seen") == ["opened", "closed-once", "opened"]


def test_launcher_appears_before_python_and_the_panel_takes_text_while_it_connects(
    page: Page, host_site: HostSite
) -> None:
    page.goto(host_site.page(host_site.snippet()))
    button = launcher(page)
    expect(button).to_be_visible()
    frame = chat_frame(page)
    # Hold the wheels so Python cannot finish starting until the loading state has been seen.
    with holding(page.context, "**/*.whl") as held:
        button.click()
        expect(frame.get_by_role("dialog")).to_be_visible()
        expect(frame.get_by_role("status")).to_contain_text("Connecting")
        box = frame.get_by_role("textbox", name="Message")
        expect(box).to_be_focused()
        expect(box).to_be_editable()
        # The loading panel can already be closed, and the launcher gets focus back.
        frame.get_by_role("button", name="Close chat").click()
        expect(launcher(page)).to_be_focused()
        expect(launcher(page)).to_have_attribute("aria-expanded", "false")
        wait_held(page, held)  # Pyodide asks for the wheels once its own files are in
    wait_ready_(page)
    button.click()
    expect(frame.get_by_role("textbox", name="Message")).to_be_focused()
    expect(frame.get_by_role("status")).to_be_hidden()


def test_open_close_by_every_route_never_twice_in_a_row(events_page: Callable[..., Page]) -> None:
    page = events_page()
    frame = chat_frame(page)
    launcher(page).click()
    wait_events(page, 1)
    expect(frame.get_by_role("textbox", name="Message")).to_be_focused()
    frame.get_by_role("button", name="Close chat").click()
    wait_events(page, 2)
    expect(launcher(page)).to_be_focused()
    launcher(page).click()
    wait_events(page, 3)
    frame.get_by_role("textbox", name="Message").press("Escape")
    wait_events(page, 4)
    expect(launcher(page)).to_be_focused()
    page.evaluate("widget.open(); widget.open(); widget.toggle(); widget.close(); widget.toggle()")
    wait_events(page, 7)
    page.evaluate("widget.close(); widget.close()")
    wait_events(page, 8)
    names = seen_names(page)
    assert names == ["widget_opened", "widget_closed"] * 4
    assert all(e["plain"] for e in seen(page))
    # Nothing doubles after the fact.
    page.evaluate("new Promise(r => setTimeout(r, 300))")
    assert len(seen(page)) == 8


def test_launcher_name_and_state_follow_the_panel(events_page: Callable[..., Page]) -> None:
    page = events_page()
    button = launcher(page)
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    expect(launcher(page, "Close chat")).to_have_attribute("aria-expanded", "true")
    launcher(page, "Close chat").click()
    expect(launcher(page)).to_be_visible()
    wait_events(page, 2)
    assert seen_names(page) == ["widget_opened", "widget_closed"]


def test_once_fires_once_and_unsubscribe_is_idempotent(events_page: Callable[..., Page]) -> None:
    page = events_page()
    page.evaluate(
        """() => {
        window.count = {once: 0, unsub: 0, kept: 0};
        widget.once('widget_opened', () => count.once++);
        const unsub = widget.on('widget_opened', () => count.unsub++);
        unsub(); unsub();
        const handler = () => count.kept++;
        widget.on('widget_opened', handler);
        widget.on('widget_closed', handler);
        widget.off('widget_closed', handler);
        widget.off('widget_closed', handler);
    }"""
    )
    page.evaluate("widget.open(); widget.close(); widget.open(); widget.close()")
    wait_events(page, 4)
    assert page.evaluate("count") == {"once": 1, "unsub": 0, "kept": 2}


def test_listener_unsubscribing_during_emit_breaks_nothing(
    events_page: Callable[..., Page],
) -> None:
    page = events_page()
    page.evaluate(
        """() => {
        window.calls = [];
        const a = widget.on('widget_opened', () => { calls.push('a'); a(); b(); });
        const b = widget.on('widget_opened', () => calls.push('b'));
        widget.on('widget_opened', () => calls.push('c'));
    }"""
    )
    page.evaluate("widget.open()")
    wait_events(page, 1)
    page.evaluate("widget.close(); widget.open()")
    wait_events(page, 3)
    assert page.evaluate("calls") == ["a", "c", "c"]


def test_throwing_listener_is_reported_and_others_still_run(
    events_page: Callable[..., Page],
) -> None:
    page = events_page()
    errors: list[ConsoleMessage] = []
    page.on("console", lambda m: errors.append(m) if m.type == "error" else None)
    page.evaluate(
        """() => {
        window.after = 0;
        widget.on('widget_opened', () => { throw new Error('host bug'); });
        widget.on('widget_opened', () => { after++; });
    }"""
    )
    page.evaluate("widget.open()")
    wait_events(page, 1)
    page.wait_for_function("window.after === 1", timeout=10_000)
    page.evaluate("widget.close(); widget.open()")
    wait_events(page, 3)
    assert page.evaluate("after") == 2
    assert any("widget_opened" in m.text for m in errors)


@pytest.mark.parametrize("stage", ["stub", "loaded"])
def test_type_errors_name_the_valid_events(page: Page, host_site: HostSite, stage: str) -> None:
    body = host_site.stub_only() if stage == "stub" else host_site.snippet()
    page.goto(host_site.page(body))
    if stage == "loaded":
        wait_ready_(page)
    for call in (
        "widget.on('lead-captured', () => {})",
        "widget.once('nope', () => {})",
        "widget.off('nope', () => {})",
        "widget.on('widget_opened', 'not a function')",
    ):
        result = page.evaluate(
            f"() => {{ try {{ {call}; return null }} catch (e) {{ return [e.name, e.message] }} }}"
        )
        assert result is not None, call
        assert result[0] == "TypeError"
        assert EVENT_NAMES in result[1]


def test_snippet_twice_gives_one_widget_and_single_events(page: Page, host_site: HostSite) -> None:
    snippet = host_site.snippet()
    recorder = "<script>window.seen=[];widget.on('widget_opened',d=>seen.push(d));</script>"
    page.goto(host_site.page(snippet + recorder + snippet))
    wait_ready_(page)
    # A third copy loaded late, as a tag manager might.
    page.evaluate(
        """src => new Promise(r => { const s = document.createElement('script'); s.src = src;
        s.dataset.agentId = 'ag_demo'; s.onload = r; document.body.appendChild(s); })""",
        host_site.widget.widget_js,
    )
    assert page.locator("iframe[title='Chat']").count() == 1
    assert launcher(page).count() == 1
    page.evaluate("widget.open()")
    page.wait_for_function("window.seen.length >= 1", timeout=10_000)
    page.evaluate("new Promise(r => setTimeout(r, 300))")
    assert page.evaluate("window.seen.length") == 1


HOSTILE_CSS = """<style>
* { font-size: 40px !important; padding: 30px; margin: 20px; border: 5px solid red;
    box-sizing: content-box; line-height: 3; color: lime; }
button { display: none; width: 1px; height: 1px; opacity: .1; }
div { position: relative; z-index: 0; transform: scale(.5); }
iframe { width: 10px !important; height: 10px; display: none; }
body > * { position: static; }
</style>"""


def test_hostile_host_css_leaves_the_widget_usable(page: Page, host_site: HostSite) -> None:
    page.goto(host_site.page("<div>Shop</div>" + host_site.snippet(), head=HOSTILE_CSS))
    button = launcher(page)
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and 40 <= box["width"] <= 80 and 40 <= box["height"] <= 80
    wait_ready_(page)
    button.click()
    frame_box = page.locator("iframe[title='Chat']").bounding_box()
    assert frame_box is not None and frame_box["width"] >= 300 and frame_box["height"] >= 300
    frame = chat_frame(page)
    frame.get_by_role("textbox", name="Message").fill("still usable")
    expect(frame.get_by_role("button", name="Send")).to_be_enabled()
    frame.get_by_role("button", name="Close chat").click()
    expect(launcher(page)).to_be_visible()


def test_nothing_is_fetched_outside_the_two_origins(page: Page, host_site: HostSite) -> None:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(host_site.page(host_site.snippet()))
    wait_ready_(page)
    launcher(page).click()
    expect(chat_frame(page).get_by_role("textbox", name="Message")).to_be_focused()
    allowed = {host_site.origin, host_site.widget.url}
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in urls}
    outside = sorted(u for u in urls if not any(u.startswith(o + "/") for o in allowed))
    assert not outside, f"requests left the host and widget origins: {outside}"
    assert origins <= allowed
    assert any(u.endswith(".wasm") for u in urls)


def test_frame_ignores_messages_from_the_host_page(page: Page, host_site: HostSite) -> None:
    page.goto(
        host_site.page(
            host_site.snippet() + "<script>window.seen=[];"
            "widget.on('widget_opened',d=>seen.push(d));</script>"
        )
    )
    wait_ready_(page)
    # A script on the host page posts straight to the frame, with and without a guessed nonce.
    page.evaluate(
        """() => { const f = document.querySelector('parley-widget').shadowRoot
            .querySelector('iframe');
        for (const msg of [{type: 'command', name: 'open', seq: 99},
                           {type: 'widget:connect', nonce: 'guess'}]) {
            const ch = new MessageChannel();
            f.contentWindow.postMessage(msg, '*', [ch.port2]);
            ch.port1.onmessage = e => window.seen.push({leak: e.data});
        } }"""
    )
    page.evaluate("new Promise(r => setTimeout(r, 500))")
    assert page.evaluate("window.seen") == []
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")


def test_ready_resolves_once_python_is_live(page: Page, host_site: HostSite) -> None:
    page.goto(host_site.page(host_site.snippet()))
    page.evaluate("void widget.load().then(() => { window.readyAt = performance.now() })")
    page.wait_for_function("window.readyAt > 0", timeout=BOOT_TIMEOUT_MS)
    frame = page.frame_locator("iframe[title='Chat']")
    expect(frame.get_by_role("textbox", name="Message")).to_be_enabled()


def test_an_agent_is_embedded_only_where_its_allowed_origins_say(
    page: Page, host_site: HostSite
) -> None:
    with host_site.widget.admin() as admin:
        allowed = admin.post(
            "/v1/agents", json={"name": "Shop help", "allowedOrigins": [host_site.origin]}
        ).json()["agentId"]
        elsewhere = admin.post(
            "/v1/agents", json={"name": "Other", "allowedOrigins": ["https://shop.example"]}
        ).json()["agentId"]

    page.goto(host_site.page(host_site.snippet(agent_id=allowed)))
    wait_ready_(page)
    page.evaluate("widget.open()")
    expect(chat_frame(page).get_by_role("dialog", name="Shop help")).to_be_visible()

    page.goto(host_site.page(host_site.snippet(agent_id=elsewhere)))
    # `load()` returns `widget.ready`, which never settles here: evaluate must not await it.
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text, timeout=20_000):
        page.evaluate("void widget.load()")
    expect(launcher(page)).to_be_visible()
    ready = "Promise.race([widget.ready.then(() => 'ready'), new Promise(r => setTimeout(r, 50))])"
    assert page.evaluate(ready) is None
