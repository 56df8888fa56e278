"""widget.frame.chat through the controller, under CPython, against the real server app: events in
order and each once, messages sent once through outages and lost answers, what was sent before
Python ran, reloads, and a conversation the server no longer has."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from tests.frame.fakes import Bubble, FakeShim, MemoryStorage, Network, until
from tests.frame.fakes import run as run_coroutine
from tests.frame.harness import Frame, network_to, open_frame

LEAD = "Great. I'm Jane Doe from Acme Inc, jane@acme.example, +1 415 555 0100"
KEY = "widget:ag_demo:conversation"


def run(app: FastAPI, scenario: Callable[[Network], Awaitable[None]]) -> None:
    async def main() -> None:
        async with network_to(app) as network:
            await scenario(network)

    run_coroutine(main())


async def replies(frame: Frame, count: int) -> None:
    await until(
        lambda: frame.shim.event_names().count("message_received") >= count and not frame.chat_busy,
        f"{count} replies",
    )


async def server_transcript(network: Network, frame: Frame) -> list[tuple[str, str]]:
    chat = frame.controller.chat
    response = await network.client.get(
        f"/v1/conversations/{chat.conversation_id}/messages",
        headers={"Authorization": f"Bearer {chat.token}"},
    )
    return [(m["role"], m["content"]) for m in response.json()["messages"]]


def test_a_conversation_fires_its_events_in_order_each_once(app: FastAPI) -> None:
    async def scenario(network: Network) -> None:
        frame = open_frame(network, MemoryStorage())
        frame.shim.command("open")
        frame.send("What does this product do?")
        await replies(frame, 1)
        frame.send(LEAD)
        await replies(frame, 2)
        frame.send("Actually, please use jane.doe@acme.example instead")
        await replies(frame, 3)
        frame.shim.command("close")
        names = frame.shim.event_names()
        assert names == [
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
        conversation_id = frame.controller.chat.conversation_id
        events = dict(frame.shim.events()[:3])
        assert events["conversation_started"] == {"conversationId": conversation_id}
        assert events["message_sent"] == {
            "message": "What does this product do?",
            "conversationId": conversation_id,
        }
        user = [b for b in frame.transcript.bubbles() if b[0] == "user"]
        assert [state for _, _, state in user] == ["sent"] * 3
        assert frame.panel.text == ""
        assert frame.panel.new_conversation_shown

    run(app, scenario)


def test_blank_input_sends_nothing(app: FastAPI) -> None:
    async def scenario(network: Network) -> None:
        frame = open_frame(network, MemoryStorage())
        frame.send("  \n\t ")
        assert frame.panel.text == "  \n\t "  # kept in the composer
        assert network.requests == []
        assert frame.shim.event_names() == []

    run(app, scenario)


def test_a_message_sent_while_offline_waits_and_retry_sends_it_once(app: FastAPI) -> None:
    async def scenario(network: Network) -> None:
        frame = open_frame(network, MemoryStorage())
        network.down = True
        frame.send("Hello?")
        await until(lambda: frame.transcript.error is not None, "the error line")
        assert frame.transcript.error is not None and frame.transcript.error[1]  # with Retry
        assert frame.transcript.bubbles()[-1] == ("user", "Hello?", "failed")
        assert frame.shim.event_names() == []
        network.down = False
        frame.controller.retry()
        await replies(frame, 1)
        assert frame.shim.event_names() == [
            "conversation_started",
            "message_sent",
            "message_received",
            "unread_count_changed",  # the panel is closed in these tests
        ]
        assert frame.transcript.error is None
        assert [r for r in await server_transcript(network, frame) if r[0] == "user"] == [
            ("user", "Hello?")
        ]

    run(app, scenario)


def test_a_lost_answer_is_retried_with_the_same_id_and_stored_once(app: FastAPI) -> None:
    async def scenario(network: Network) -> None:
        frame = open_frame(network, MemoryStorage())
        frame.send("First")
        await replies(frame, 1)
        network.lose_answers = True  # the server stores it; its answer never arrives
        frame.send("Second")
        await until(lambda: frame.transcript.error is not None, "the error line")
        network.lose_answers = False
        frame.controller.retry()
        await replies(frame, 2)
        user = [r for r in await server_transcript(network, frame) if r[0] == "user"]
        assert user == [("user", "First"), ("user", "Second")]
        assert frame.shim.event_names().count("message_sent") == 2

    run(app, scenario)


def test_what_was_sent_before_python_ran_is_sent_in_order_once(
    app: FastAPI, storage: MemoryStorage
) -> None:
    async def scenario(network: Network) -> None:
        # A boot that failed and was retried: the first draft is already among the saved
        # pending messages, frame-boot.js hands over both (and one it must drop).
        first = {"clientId": "a" * 32, "content": "One"}
        second = {"clientId": "b" * 32, "content": "Two"}
        saved = {"conversationId": None, "visitorToken": None, "pending": [first]}
        storage.items[KEY] = json.dumps(saved)
        shim = FakeShim(drafts=[first, second, {"clientId": "", "content": "x"}, "junk"])
        frame = open_frame(network, storage, shim=shim)
        assert [b[1] for b in frame.transcript.bubbles() if b[0] == "user"] == ["One", "Two"]
        await replies(frame, 2)
        sent = [d["message"] for n, d in frame.shim.events() if n == "message_sent"]
        assert sent == ["One", "Two"]
        assert [r for r in await server_transcript(network, frame) if r[0] == "user"] == [
            ("user", "One"),
            ("user", "Two"),
        ]
        assert json.loads(storage.items[KEY])["pending"] == []

    run(app, scenario)


def test_a_reload_shows_the_history_and_continues_the_conversation(
    app: FastAPI, storage: MemoryStorage
) -> None:
    async def scenario(network: Network) -> None:
        first = open_frame(network, storage)
        first.send(LEAD)
        await replies(first, 1)
        assert first.shim.event_names()[-1] == "lead_captured"

        again = open_frame(network, storage)  # the page reloaded
        await until(lambda: again.controller.chat.history_loaded, "the history")
        assert again.transcript.bubbles()[1:3] == [
            ("user", LEAD, "sent"),
            ("assistant", first.transcript.bubbles()[2][1], "sent"),
        ]
        again.send("Actually, please use jane.doe@acme.example instead")
        await replies(again, 1)
        # Same conversation: no new start, and its lead was announced already.
        assert again.shim.event_names() == [
            "message_sent",
            "message_received",
            "unread_count_changed",  # the panel is closed in these tests
        ]
        assert again.controller.chat.conversation_id == first.controller.chat.conversation_id

    run(app, scenario)


def test_a_conversation_the_server_refuses_gives_way_to_a_new_one(
    app: FastAPI, storage: MemoryStorage
) -> None:
    async def scenario(network: Network) -> None:
        saved = {
            "conversationId": "conv_gone",
            "visitorToken": "vt_not_valid",
            "started": True,
            "leadCaptured": True,
            "pending": [],
        }
        storage.items[KEY] = json.dumps(saved)
        frame = open_frame(network, storage)
        await until(lambda: frame.controller.chat.history_loaded, "the history")
        frame.send("Hello again")
        await replies(frame, 1)
        assert frame.shim.event_names() == [
            "conversation_started",
            "message_sent",
            "message_received",
            "unread_count_changed",  # the panel is closed in these tests
        ]
        assert frame.controller.chat.conversation_id != "conv_gone"

    run(app, scenario)


def test_new_conversation_ends_this_one_and_the_next_message_starts_another(
    app: FastAPI, storage: MemoryStorage
) -> None:
    async def scenario(network: Network) -> None:
        frame = open_frame(network, storage)
        frame.send("Hello")
        await replies(frame, 1)
        chat = frame.controller.chat
        old_id, old_token = chat.conversation_id, chat.token
        frame.controller.start_over()
        await until(lambda: not frame.controller._tasks, "the end request")
        assert KEY not in storage.items
        assert not frame.panel.new_conversation_shown
        ended = await network.client.get(
            f"/v1/conversations/{old_id}/messages",
            headers={"Authorization": f"Bearer {old_token}"},
        )
        assert ended.json()["ended"] is True
        frame.send("Hello again")
        await replies(frame, 2)
        assert frame.shim.event_names().count("conversation_started") == 2
        assert chat.conversation_id != old_id

    run(app, scenario)


def test_without_storage_the_widget_still_chats(app: FastAPI) -> None:
    async def scenario(network: Network) -> None:
        broken = MemoryStorage()
        broken.broken = True  # every call throws, as where the browser denies storage
        frame = open_frame(network, broken)
        frame.send("Hello")
        await replies(frame, 1)
        denied = open_frame(network, None, shim=FakeShim(storage_available=False))
        denied.send("Hello")
        await replies(denied, 1)

    run(app, scenario)


def test_a_refused_message_is_marked_not_sent_and_the_next_one_goes(app: FastAPI) -> None:
    async def scenario(network: Network) -> None:
        frame = open_frame(network, MemoryStorage())
        frame.send("x" * 4001)  # longer than the server accepts (the textbox stops at 4000)
        await until(lambda: frame.transcript.error is not None, "the error line")
        text, retry = frame.transcript.error or ("", True)
        assert text.startswith("Not sent: ") and "4,000" in text and not retry
        frame.send("Short one")
        await replies(frame, 1)
        assert [b[2] for b in frame.transcript.bubbles() if b[0] == "user"] == ["failed", "sent"]

    run(app, scenario)


def bubbles(frame: Frame, role: str) -> list[Bubble]:
    return [b for b in frame.transcript.items if isinstance(b, Bubble) and b.role == role]


def test_a_reply_drawn_from_documents_shows_its_sources_after_a_reload_too(
    app: FastAPI, storage: MemoryStorage
) -> None:
    async def scenario(network: Network) -> None:
        first = open_frame(network, storage)
        first.send("How much does it cost?")
        await replies(first, 1)
        (reply,) = bubbles(first, "assistant")[1:]  # after the welcome
        assert reply.sources and reply.sources[0] == {"label": "pricing.md", "url": None}

        again = open_frame(network, storage)  # the page reloaded
        await until(lambda: again.controller.chat.history_loaded, "the history")
        assert bubbles(again, "assistant")[-1].sources == reply.sources
        assert bubbles(again, "user")[0].sources == []

    run(app, scenario)
