"""A person steps in, in the browser: the visitor asks for one with "Talk to a person", the owner
sees the conversation waiting first in the dashboard's Inbox and replies; the reply appears in the
visitor's panel with the owner's name (`message_received` once); the visitor's next message appears
live in the dashboard; handing back lets the AI answer again; and with the visitor's stream
blocked, a reply still arrives by the fallback poll."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import FrameLocator, Page, expect

from tests.browser.conftest import ADMIN_KEY, WidgetServer, seen, wait_ready_

WAIT = 20_000


def chat_frame(page: Page) -> FrameLocator:
    return page.frame_locator("iframe[title='Chat']")


def send(frame: FrameLocator, text: str) -> None:
    box = frame.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("", timeout=WAIT)


def received(page: Page) -> list[str]:
    return [e["data"]["message"] for e in seen(page) if e["name"] == "message_received"]


def wait_received(page: Page, count: int) -> None:
    page.wait_for_function(
        f"window.seen.filter(e => e.name === 'message_received').length >= {count}",
        timeout=WAIT,
    )


def test_the_owner_steps_in_from_the_inbox_and_the_visitor_sees_it_live(
    events_page: Callable[..., Page], widget_server: WidgetServer
) -> None:
    visitor = events_page()
    visitor.evaluate("widget.open()")
    frame = chat_frame(visitor)
    log = frame.get_by_role("log", name="Conversation")
    send(frame, "Hello there")
    wait_received(visitor, 1)

    talk = frame.locator("#talk-to-person")
    expect(talk).to_have_accessible_name("Talk to a person")
    talk.focus()
    talk.press("Enter")  # keyboard reachable
    expect(frame.get_by_role("status").filter(has_text="Waiting for a person…")).to_be_visible(
        timeout=WAIT
    )
    expect(talk).to_be_hidden()
    wait_received(visitor, 2)  # the notice that a person has been asked

    owner = visitor.context.new_page()
    owner.goto(f"{widget_server.url}/dashboard#/inbox")
    owner.get_by_role("textbox", name="Admin key").fill(ADMIN_KEY)
    owner.get_by_role("button", name="Sign in").click()
    inbox = owner.get_by_role("list", name="Open conversations")
    first = inbox.get_by_role("listitem").first
    expect(first).to_contain_text("Waiting", timeout=WAIT)
    expect(first).to_contain_text("waiting")
    first.get_by_role("link").click()

    owner.get_by_role("textbox", name="Your name (shown to the visitor)").fill("Ada")
    owner.get_by_role("textbox", name="Reply").fill("Hi, Ada here. How can I help?")
    owner.get_by_role("button", name="Send reply").click()
    expect(log).to_contain_text("Hi, Ada here. How can I help?", timeout=WAIT)
    expect(log.locator(".msg.person .author")).to_have_text("Ada")
    wait_received(visitor, 3)

    send(frame, "Thanks Ada, one question")
    transcript = owner.get_by_role("list", name="Transcript")
    expect(transcript).to_contain_text("Thanks Ada, one question", timeout=WAIT)

    owner.get_by_role("button", name="Hand back to the AI").click()
    expect(talk).to_be_visible(timeout=WAIT)
    send(frame, "What does this product do?")
    wait_received(visitor, 4)  # the AI answers again
    assert received(visitor).count("Hi, Ada here. How can I help?") == 1

    # A stream the network blocks: after a reload the frame falls back to polling, quietly.
    visitor.context.route("**/v1/conversations/*/stream", lambda route: route.abort())
    visitor.reload()
    wait_ready_(visitor)
    visitor.evaluate("widget.open()")
    frame = chat_frame(visitor)
    frame.locator("#talk-to-person").click(timeout=WAIT)
    expect(frame.get_by_role("status").filter(has_text="Waiting for a person…")).to_be_visible(
        timeout=WAIT
    )
    owner.reload()
    owner.get_by_role("textbox", name="Reply").fill("Polled, but here")
    owner.get_by_role("button", name="Send reply").click()
    log = frame.get_by_role("log", name="Conversation")
    expect(log).to_contain_text("Polled, but here", timeout=WAIT)
    expect(frame.get_by_role("alert")).to_have_count(0)
