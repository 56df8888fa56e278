"""A person in the conversation, from the frame's side, under CPython against the real app served
by uvicorn on loopback (the stream needs a real connection): "Talk to a person", the owner's
replies pushed on the stream with who wrote them, each shown and `message_received` once, a
dropped connection resumed with Last-Event-ID, the fallback poll where the stream is blocked, the
unread count, and a conversation the owner closes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tests.frame.fakes import Bubble, FakePanel, FakeShim, MemoryStorage, Network, until
from tests.frame.fakes import run as run_coroutine
from tests.frame.harness import Frame
from tests.server.support.webhooks import ADMIN, wait_until
from widget.frame import stream as stream_module
from widget.frame.stream import StreamRefused


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """`app` on uvicorn on loopback; its base URL. Open streams are cut at shutdown."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, what="uvicorn to start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


class Streams:
    """The frame's `OpenStream` over httpx, with a network that can drop the connection (and keep
    it down until `restore()`) or refuse streams altogether (a proxy that blocks them)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.opened: list[dict[str, str]] = []
        self.blocked = False
        self._up = asyncio.Event()
        self._up.set()
        self._drop = asyncio.Event()

    def drop(self) -> None:
        self._up.clear()
        self._drop.set()

    def restore(self) -> None:
        self._drop.clear()
        self._up.set()

    async def __call__(self, url: str, headers: dict[str, str]) -> AsyncIterator[bytes]:
        if self.blocked:
            raise TypeError("Failed to fetch")
        await self._up.wait()
        self.opened.append(headers)
        async with self.client.stream("GET", url, headers=headers, timeout=None) as response:
            if response.status_code != 200:
                raise StreamRefused(response.status_code)
            chunks = response.aiter_raw()
            dropped = asyncio.ensure_future(self._drop.wait())
            try:
                while True:
                    chunk = asyncio.ensure_future(anext(chunks))
                    await asyncio.wait({chunk, dropped}, return_when=asyncio.FIRST_COMPLETED)
                    if dropped.done():
                        chunk.cancel()
                        raise TypeError("network error")  # as fetch's reader rejects
                    try:
                        yield chunk.result()
                    except StopAsyncIteration:
                        return
            finally:
                dropped.cancel()


class Owner:
    """The site's owner on the admin API (the dashboard's calls)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def reply(self, conversation_id: str, content: str, name: str | None = None) -> None:
        body: dict[str, Any] = {"content": content}
        if name is not None:
            body["authorName"] = name
        response = await self.client.post(
            f"/v1/conversations/{conversation_id}/replies", json=body, headers=ADMIN
        )
        assert response.status_code == 201, response.text

    async def post(self, conversation_id: str, action: str) -> None:
        response = await self.client.post(
            f"/v1/conversations/{conversation_id}/{action}", headers=ADMIN
        )
        assert response.status_code == 200, response.text


Scenario = Callable[[Frame, Streams, Owner], Awaitable[None]]


def run(app: FastAPI, scenario: Scenario, *, blocked: bool = False) -> None:
    with served(app) as base:

        async def main() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                streams = Streams(client)
                streams.blocked = blocked
                frame = Frame(
                    Network(client),
                    MemoryStorage(),
                    FakeShim(),
                    FakePanel(),
                    base=f"{base}/v1",
                    open_stream=streams,
                )
                frame.controller.start()
                try:
                    await scenario(frame, streams, Owner(client))
                finally:
                    stream = frame.controller.live.stream
                    if stream is not None:
                        await stream.stop()

        run_coroutine(main())


def received(frame: Frame) -> list[str]:
    return [data["message"] for name, data in frame.shim.events() if name == "message_received"]


def pushed(frame: Frame) -> list[tuple[str, str | None]]:
    """(text, author) of the bubbles a person wrote."""
    return [
        (b.text, b.author)
        for b in frame.transcript.items
        if isinstance(b, Bubble) and b.author is not None
    ]


async def a_conversation(frame: Frame) -> str:
    frame.shim.command("open")
    frame.send("Hello there")
    await until(lambda: received(frame) and not frame.chat_busy, "the agent's reply")
    await until(lambda: frame.controller.live.stream is not None, "the stream to start")
    stream = frame.controller.live.stream
    assert stream is not None
    await until(lambda: stream.connected, "the stream to connect")
    conversation_id = frame.controller.chat.conversation_id
    assert conversation_id is not None
    return conversation_id


def test_asking_for_a_person_then_their_replies_arrive_once_each_with_their_name(
    app: FastAPI,
) -> None:
    async def scenario(frame: Frame, streams: Streams, owner: Owner) -> None:
        conversation_id = await a_conversation(frame)
        assert frame.panel.talk_button_shown
        frame.controller.ask_for_person()
        await until(lambda: len(received(frame)) == 2, "the handoff notice")
        assert frame.panel.waiting_shown and not frame.panel.talk_button_shown
        # While waiting the AI is silent: the message is sent, no reply, no typing left behind.
        frame.send("Is anyone there?")
        await until(lambda: not frame.chat_busy, "the message to be sent")
        assert not frame.transcript.typing
        assert len(received(frame)) == 2
        await owner.reply(conversation_id, "Hi, Ada here. How can I help?", "Ada")
        await until(lambda: len(received(frame)) == 3, "the owner's reply")
        await owner.reply(conversation_id, "Still there?")
        await until(lambda: len(received(frame)) == 4, "the second reply")
        assert pushed(frame) == [
            ("Hi, Ada here. How can I help?", "Ada"),
            ("Still there?", "Support team"),
        ]
        assert frame.panel.mode == "person" and not frame.panel.waiting_shown
        await owner.post(conversation_id, "handback")
        await until(lambda: frame.panel.talk_button_shown, "the mode back to agent")
        await asyncio.sleep(0.3)  # nothing more may come: each message once
        assert received(frame)[2:] == ["Hi, Ada here. How can I help?", "Still there?"]

    run(app, scenario)


def test_a_dropped_connection_resumes_with_nothing_lost_or_doubled(app: FastAPI) -> None:
    async def scenario(frame: Frame, streams: Streams, owner: Owner) -> None:
        conversation_id = await a_conversation(frame)
        await owner.reply(conversation_id, "First")
        await until(lambda: len(received(frame)) == 2, "the first reply")
        streams.drop()
        stream = frame.controller.live.stream
        assert stream is not None
        await until(lambda: not stream.connected, "the connection to drop")
        for text in ("Second", "Third", "Fourth"):
            await owner.reply(conversation_id, text)
        streams.restore()
        await until(lambda: len(received(frame)) == 5, "the replies written meanwhile")
        await owner.reply(conversation_id, "Fifth")
        await until(lambda: len(received(frame)) == 6, "a live reply after the resume")
        await asyncio.sleep(0.3)
        assert [text for text, _ in pushed(frame)] == [
            "First",
            "Second",
            "Third",
            "Fourth",
            "Fifth",
        ]
        assert received(frame)[1:] == ["First", "Second", "Third", "Fourth", "Fifth"]
        assert "Last-Event-ID" in streams.opened[-1]
        frame.shim.command("close")

    run(app, scenario)


def test_a_blocked_stream_falls_back_to_polling_and_counts_unread(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_module, "POLL_INTERVAL", 0.1)
    monkeypatch.setattr(stream_module, "IDLE_POLL_INTERVAL", 0.1)

    async def scenario(frame: Frame, streams: Streams, owner: Owner) -> None:
        frame.shim.command("open")
        frame.send("Hello there")
        await until(lambda: received(frame) and not frame.chat_busy, "the agent's reply")
        stream = frame.controller.live.stream
        assert stream is not None
        await until(lambda: stream.polling, "the fallback to polling")
        frame.shim.command("close")
        conversation_id = frame.controller.chat.conversation_id
        assert conversation_id is not None
        await owner.reply(conversation_id, "Polled reply", "Ada")
        await until(lambda: len(received(frame)) == 2, "the reply, by the poll")
        await asyncio.sleep(0.3)
        assert pushed(frame) == [("Polled reply", "Ada")]
        assert frame.transcript.error is None  # nothing scary for the visitor
        unread = [d["count"] for n, d in frame.shim.events() if n == "unread_count_changed"]
        assert unread == [1]

    run(app, scenario, blocked=True)


def test_the_owner_closing_the_conversation_ends_it_in_the_panel(app: FastAPI) -> None:
    async def scenario(frame: Frame, streams: Streams, owner: Owner) -> None:
        conversation_id = await a_conversation(frame)
        await owner.post(conversation_id, "close")
        await until(lambda: frame.controller.chat.conversation_id is None, "the ended event")
        assert frame.transcript.items[-1] == (
            "This conversation has ended. Your next message starts a new one."
        )
        assert frame.controller.live.stream is None

    run(app, scenario)
