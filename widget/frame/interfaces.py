"""What the frame's logic needs from the browser, as interfaces.

The browser implements them over the DOM, `fetch`, `localStorage` and frame-boot.js
(`widget.frame.browser`, `widget.frame.panel`, `widget.frame.view`); tests implement them in
plain Python (tests/frame), so the controller and the chat run under CPython.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from widget.contracts.chat import Source
from widget.contracts.protocol import FrameMessage


class Shim(Protocol):
    """The link to the host page's shim; frame-boot.js holds it, live before Python runs."""

    @property
    def storage_available(self) -> bool:
        """False where the browser denies the frame storage (then persistence lapses)."""
        ...

    @property
    def agent_id(self) -> str: ...

    @property
    def agent(self) -> dict[str, Any]:
        """The agent's public settings the server put in the frame (`PublicAgent`), or {}."""
        ...

    @property
    def locale(self) -> str:
        """The locale the panel is worded in now (the shim's choice; `widget.setLocale()`)."""
        ...

    def connect(self, handler: Callable[[object], None]) -> None:
        """Deliver the shim's messages to `handler`, those that came before it first, in order."""
        ...

    def take_drafts(self) -> list[object]:
        """What the visitor sent before Python ran (`Draft`s, unchecked); frame-boot.js forgets
        them, so from this call on Python alone sends."""
        ...

    def post(self, message: FrameMessage) -> None: ...


class Panel(Protocol):
    """The panel's DOM around the transcript: status line, composer, "New conversation"."""

    def show_loaded(self) -> None:
        """Hide "Connecting…"; if the panel itself has focus, hand it to the composer."""
        ...

    def focus_composer(self) -> bool:
        """Try to focus the textbox; True when it has focus (a hidden frame cannot take it)."""
        ...

    def composer_text(self) -> str: ...

    def clear_composer(self) -> None: ...

    def set_composer_text(self, text: str) -> None:
        """Put `text` in the composer (the host page's `widget.prefill`), not sent."""
        ...

    def show_new_conversation(self, shown: bool) -> None: ...

    def show_mode(self, mode: str) -> None:
        """The conversation's mode: "agent" offers "Talk to a person"; "waiting" says a person
        has been asked for; "person": a person answers (neither)."""
        ...


class TranscriptView(Protocol):
    """The transcript (a `log`); a bubble is whatever `message` returns, handed back as is."""

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
        """A bubble; an agent's reply drawn from documents lists them (`sources`) under it; a
        person's message names them (`author`). The agent's welcome is marked (`welcome`), to be
        re-worded when the locale changes."""
        ...

    def offer_handoff(self, label: str, *, after: Any) -> None:
        """A "Talk to a person" button in the transcript, after the reply that offers it."""
        ...

    def notice(self, text: str) -> Any: ...

    def set_state(self, bubble: Any, state: str) -> None:
        """`state` is "pending", "failed" or "sent"."""
        ...

    def show_typing(self, after: Any) -> None: ...

    def hide_typing(self) -> None: ...

    def show_error(self, text: str, *, retry: bool) -> None: ...

    def clear_error(self) -> None: ...

    def clear(self) -> None: ...


class KeyValueStorage(Protocol):
    """`localStorage`'s shape; any call may raise (storage denied, quota, a policy change)."""

    def getItem(self, key: str) -> str | None: ...

    def setItem(self, key: str, value: str) -> None: ...

    def removeItem(self, key: str) -> None: ...
