"""The frame's controller and chat under CPython: fake browser parts (tests/frame/fakes.py) and
the real server app, reached in process through `Network`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from tests.frame.fakes import FakePanel, FakeShim, FakeTranscript, MemoryStorage, Network
from widget.frame.api import ChatApi
from widget.frame.controller import FrameController
from widget.frame.stream import OpenStream


class Frame:
    """One frame document: its fake browser parts and the controller, started."""

    def __init__(
        self,
        network: Network,
        storage: MemoryStorage | None,
        shim: FakeShim,
        panel: FakePanel,
        *,
        base: str = "http://widget.test/v1",
        open_stream: OpenStream | None = None,
    ) -> None:
        """`open_stream`: the live stream's transport (none: no stream)."""
        self.shim = shim
        self.panel = panel
        self.transcript = FakeTranscript()
        self.network = network
        self.later: list[Callable[[], None]] = []
        self.controller = FrameController(
            shim,
            panel,
            self.transcript,
            ChatApi(network, base=base),
            storage,
            self.later.append,
            open_stream,
            stream_delay=0.05,
        )

    @property
    def chat_busy(self) -> bool:
        return self.controller.chat.busy or bool(self.controller.chat.queue)

    def send(self, text: str) -> None:
        self.panel.text = text
        self.controller.submit()


@asynccontextmanager
async def network_to(app: FastAPI) -> AsyncIterator[Network]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://widget.test") as client:
        yield Network(client)


def open_frame(
    network: Network,
    storage: MemoryStorage | None,
    *,
    shim: FakeShim | None = None,
    panel: FakePanel | None = None,
    start: bool = True,
) -> Frame:
    frame = Frame(network, storage, shim or FakeShim(), panel or FakePanel())
    if start:
        frame.controller.start()
    return frame
