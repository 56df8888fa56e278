"""The host page's `widget.send()` and `widget.prefill()` as the frame's Python handles them,
under CPython against the real server app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from tests.frame.fakes import FakeShim, MemoryStorage, Network, until
from tests.frame.fakes import run as run_coroutine
from tests.frame.harness import network_to, open_frame


def run(app: FastAPI, scenario: Callable[[Network], Awaitable[None]]) -> None:
    async def main() -> None:
        async with network_to(app) as network:
            await scenario(network)

    run_coroutine(main())


def test_send_goes_out_as_the_visitor_with_its_events_and_prefill_only_fills_the_composer(
    app: FastAPI,
) -> None:
    async def scenario(network: Network) -> None:
        frame = open_frame(network, MemoryStorage())
        frame.shim.command("open")
        frame.shim.compose("prefill", "I would like a demo")
        assert frame.panel.text == "I would like a demo"
        frame.shim.compose("send", "What does this product do?")
        frame.shim.compose("send", "   ")  # blank: nothing
        await until(lambda: "message_received" in frame.shim.event_names(), "the reply")
        assert frame.shim.event_names() == [
            "widget_opened",
            "conversation_started",
            "message_sent",
            "message_received",
        ]
        assert dict(frame.shim.events())["message_sent"]["message"] == "What does this product do?"
        assert frame.panel.text == "I would like a demo"  # the visitor's draft is untouched
        users = [b for b in frame.transcript.bubbles() if b[0] == "user"]
        assert users == [("user", "What does this product do?", "sent")]

    run(app, scenario)


def test_a_send_while_the_history_loads_waits_for_it_and_goes_after(app: FastAPI) -> None:
    async def scenario(network: Network) -> None:
        storage = MemoryStorage()
        first = open_frame(network, storage)
        first.send("Hello there")
        await until(lambda: "message_received" in first.shim.event_names(), "the first reply")
        reloaded = open_frame(network, storage)  # a reload: the history loads from the server
        reloaded.shim.compose("send", "And the pricing?")
        await until(
            lambda: "message_received" in reloaded.shim.event_names() and not reloaded.chat_busy,
            "the second reply",
        )
        texts = [text for role, text, _ in reloaded.transcript.bubbles() if role == "user"]
        assert texts == ["Hello there", "And the pricing?"]
        assert "conversation_started" not in reloaded.shim.event_names()

    run(app, scenario)


def test_malformed_compose_messages_are_ignored(app: FastAPI) -> None:
    async def scenario(network: Network) -> None:
        frame = open_frame(network, MemoryStorage(), shim=FakeShim())
        posted = len(frame.shim.posted)
        frame.shim.compose("send", 42)
        frame.shim.compose("shout", "hi")
        assert len(frame.shim.posted) == posted
        assert network.requests == []

    run(app, scenario)


def test_a_reply_that_arrives_while_the_panel_is_closed_counts_as_unread_until_it_opens(
    app: FastAPI,
) -> None:
    async def scenario(network: Network) -> None:
        frame = open_frame(network, MemoryStorage())
        frame.shim.command("open")
        frame.send("Hello there")
        frame.shim.command("close")  # closed before the agent answered
        await until(lambda: "message_received" in frame.shim.event_names(), "the first reply")
        frame.send("And the pricing?")  # sent from a closed panel (widget.send opens; this not)
        await until(lambda: frame.shim.event_names().count("message_received") == 2, "2 replies")
        unread = [data for name, data in frame.shim.events() if name == "unread_count_changed"]
        assert unread == [{"count": 1}, {"count": 2}]
        frame.shim.command("open")
        frame.shim.command("close")
        frame.shim.command("open")  # nothing unread now: no event
        names = frame.shim.event_names()
        assert names[-4:] == [
            "widget_opened",
            "unread_count_changed",
            "widget_closed",
            "widget_opened",
        ]
        assert frame.shim.events()[-3] == ("unread_count_changed", {"count": 0})
        assert names.count("unread_count_changed") == 3

    run(app, scenario)


def test_replies_read_in_the_open_panel_are_not_unread(app: FastAPI) -> None:
    async def scenario(network: Network) -> None:
        frame = open_frame(network, MemoryStorage())
        frame.shim.command("open")
        frame.send("Hello there")
        await until(lambda: "message_received" in frame.shim.event_names(), "the reply")
        assert "unread_count_changed" not in frame.shim.event_names()
        assert frame.controller.unread == 0

    run(app, scenario)


def test_an_identified_user_finds_their_conversation_on_another_device(app: FastAPI) -> None:
    import hashlib
    import hmac

    from widget.server.agents.tables import Agent
    from widget.server.chat.identity import identity_secret
    from widget.server.core.db import transaction

    with transaction(app.state.sessions) as session:
        key = identity_secret(session.get_one(Agent, "ag_demo"))
    user_hash = hmac.new(key.encode(), b"u_42", hashlib.sha256).hexdigest()

    async def scenario(network: Network) -> None:
        laptop = open_frame(network, MemoryStorage())
        laptop.shim.send(
            {"type": "identify", "identity": {"userId": "u_42", "userHash": user_hash}}
        )
        await until(lambda: laptop.controller.chat.history_loaded, "the identity")
        laptop.send("Hello from my laptop")
        await until(lambda: "message_received" in laptop.shim.event_names(), "the reply")

        shim = FakeShim()  # a phone: its own storage; identify() comes before Python runs
        shim.send({"type": "identify", "identity": {"userId": "u_42", "userHash": user_hash}})
        phone = open_frame(network, MemoryStorage(), shim=shim)
        await until(lambda: phone.controller.chat.history_loaded, "the history")
        chat = phone.controller.chat
        assert chat.conversation_id == laptop.controller.chat.conversation_id
        assert ("user", "Hello from my laptop", "sent") in phone.transcript.bubbles()

        # Someone else claiming to be u_42 gets nothing of theirs, and the page hears why.
        thief = FakeShim()
        thief.send({"type": "identify", "identity": {"userId": "u_42", "userHash": "0" * 64}})
        stranger = open_frame(network, MemoryStorage(), shim=thief)
        await until(lambda: stranger.controller.chat.history_loaded, "the refusal")
        assert stranger.controller.chat.conversation_id is None
        reports = [m["text"] for m in thief.posted if m["type"] == "report"]
        assert len(reports) == 1 and "does not match userId 'u_42'" in reports[0]
        assert all(b[1] != "Hello from my laptop" for b in stranger.transcript.bubbles())

    run(app, scenario)
