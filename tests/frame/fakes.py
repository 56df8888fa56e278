"""Plain-Python stand-ins for what the browser gives the frame (widget/frame/interfaces.py), and a
network between the frame's `ChatApi` and the real server app that can go down or lose answers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from widget.contracts.chat import Source
from widget.contracts.protocol import FrameMessage

T = TypeVar("T")


class FakeShim:
    """frame-boot.js's side: queues the shim's messages until `connect`, records what is posted."""

    def __init__(
        self,
        *,
        storage_available: bool = True,
        agent: dict[str, Any] | None = None,
        drafts: list[object] | None = None,
    ) -> None:
        self.storage_available = storage_available
        self.agent_id = "ag_demo"
        self.locale = "en"
        self.agent: dict[str, Any] = agent if agent is not None else {}
        self.drafts: list[object] = drafts or []
        self.posted: list[FrameMessage] = []
        self._handler: Callable[[object], None] | None = None
        self._backlog: list[object] = []
        self._seq = 0

    def connect(self, handler: Callable[[object], None]) -> None:
        self._handler = handler
        for message in self._backlog:
            handler(message)
        self._backlog.clear()

    def take_drafts(self) -> list[object]:
        taken, self.drafts = self.drafts, []
        return taken

    def post(self, message: FrameMessage) -> None:
        self.posted.append(message)

    def command(self, name: str) -> None:
        """The shim sends a command, numbered as widget.js numbers them."""
        self._seq += 1
        self.send({"type": "command", "name": name, "seq": self._seq})

    def send(self, message: object) -> None:
        if self._handler is None:
            self._backlog.append(message)
        else:
            self._handler(message)

    def compose(self, action: str, text: object) -> None:
        """The host page called `widget.send(text)` or `widget.prefill(text)`."""
        self.send({"type": "compose", "action": action, "text": text})

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        """(name, data) of every event forwarded to the shim, in order."""
        return [(m["name"], m["data"]) for m in self.posted if m["type"] == "event"]

    def event_names(self) -> list[str]:
        return [name for name, _ in self.events()]


class FakePanel:
    def __init__(self, *, focusable_after: int = 0) -> None:
        self.text = ""
        self.loaded = False
        self.new_conversation_shown = False
        self.focus_attempts = 0
        self.focusable_after = focusable_after  # a hidden frame cannot take focus at first
        self.mode: str | None = None  # what the panel shows: None until the frame has booted

    def show_loaded(self) -> None:
        self.loaded = True

    def focus_composer(self) -> bool:
        self.focus_attempts += 1
        return self.focus_attempts > self.focusable_after

    def composer_text(self) -> str:
        return self.text

    def clear_composer(self) -> None:
        self.text = ""

    def set_composer_text(self, text: str) -> None:
        self.text = text

    def show_new_conversation(self, shown: bool) -> None:
        self.new_conversation_shown = shown

    def show_mode(self, mode: str) -> None:
        self.mode = mode

    @property
    def talk_button_shown(self) -> bool:
        return self.mode == "agent"

    @property
    def waiting_shown(self) -> bool:
        return self.mode == "waiting"


@dataclass
class Bubble:
    role: str
    text: str
    state: str = "sent"
    sources: list[Source] = field(default_factory=list)
    author: str | None = None


@dataclass
class Offer:
    """The "Talk to a person" button an agent's reply offers."""

    label: str


@dataclass
class FakeTranscript:
    items: list[Bubble | Offer | str] = field(default_factory=list)
    error: tuple[str, bool] | None = None
    typing: bool = False

    def message(
        self,
        role: str,
        text: str,
        *,
        after: Any = None,
        pending: bool = False,
        sources: Sequence[Source] = (),
        author: str | None = None,
        welcome: bool = False,
    ) -> Any:
        bubble = Bubble(role, text, "pending" if pending else "sent", list(sources), author)
        self._place(bubble, after)
        return bubble

    def offer_handoff(self, label: str, *, after: Any) -> None:
        self._place(Offer(label), after)

    def _place(self, item: Bubble | Offer, after: Any) -> None:
        # As the DOM's `after.after(node)`: right after `after` (found by identity), else last.
        at = next((i + 1 for i, old in enumerate(self.items) if old is after), len(self.items))
        self.items.insert(at, item)

    def notice(self, text: str) -> Any:
        self.items.append(text)
        return text

    def set_state(self, bubble: Any, state: str) -> None:
        bubble.state = state

    def show_typing(self, after: Any) -> None:
        self.typing = True

    def hide_typing(self) -> None:
        self.typing = False

    def show_error(self, text: str, *, retry: bool) -> None:
        self.error = (text, retry)

    def clear_error(self) -> None:
        self.error = None

    def clear(self) -> None:
        self.items.clear()
        self.error = None
        self.typing = False

    def bubbles(self) -> list[tuple[str, str, str]]:
        """(role, text, state) of each message bubble, in order."""
        return [(b.role, b.text, b.state) for b in self.items if isinstance(b, Bubble)]


class MemoryStorage:
    """`localStorage` in a dict; `broken` makes every call raise as a denied storage does."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}
        self.broken = False

    def getItem(self, key: str) -> str | None:
        self._check()
        return self.items.get(key)

    def setItem(self, key: str, value: str) -> None:
        self._check()
        self.items[key] = value

    def removeItem(self, key: str) -> None:
        self._check()
        self.items.pop(key, None)

    def _check(self) -> None:
        if self.broken:
            raise RuntimeError("SecurityError: storage denied")


class Network:
    """`ChatApi`'s transport to the real server app, in process (httpx over ASGI).

    `down`: nothing reaches the server (fetch rejects). `lose_answers`: the server handles the
    request but its answer is lost on the way back.
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.down = False
        self.lose_answers = False
        self.requests: list[tuple[str, str]] = []

    async def __call__(
        self, method: str, url: str, headers: dict[str, str], body: str | None
    ) -> tuple[int, str]:
        if self.down:
            raise TypeError("Failed to fetch")
        self.requests.append((method, url))
        response = await self.client.request(method, url, headers=headers, content=body)
        if self.lose_answers:
            raise TypeError("Failed to fetch")
        return response.status_code, response.text


async def until(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Let the frame's tasks run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on a thread of its own: Playwright's sync API, used by the browser tests in
    the same session, leaves an event loop running on the main thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
