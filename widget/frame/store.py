"""Where the frame keeps the visitor's conversation across reloads.

The frame's localStorage is partitioned per host site by the browser. Where the browser denies the
frame storage altogether (or a call to it fails later), a dict stands in: the widget works, only
persistence lapses.
"""

from __future__ import annotations

import json
from typing import TypedDict, cast

from widget.contracts.protocol import Draft
from widget.frame.interfaces import KeyValueStorage


class SavedConversation(TypedDict):
    """What the frame keeps: the conversation, what its events already said, what is unsent."""

    conversationId: str | None
    visitorToken: str | None
    started: bool
    leadCaptured: bool
    pending: list[Draft]
    # The identified user (widget.identify) the conversation belongs to; None: anonymous.
    userId: str | None


class ConversationStore:
    def __init__(self, agent_id: str, storage: KeyValueStorage | None) -> None:
        self.key = f"widget:{agent_id}:conversation"
        self.storage = storage
        self._memory: dict[str, str] = {}

    def load(self) -> SavedConversation | None:
        raw = self._get()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        if not (value.get("conversationId") and value.get("visitorToken")):
            value["conversationId"] = value["visitorToken"] = None
        pending = value.get("pending")
        value["pending"] = [
            Draft(clientId=p["clientId"], content=p["content"])
            for p in (pending if isinstance(pending, list) else [])
            if isinstance(p, dict)
            and isinstance(p.get("clientId"), str)
            and isinstance(p.get("content"), str)
            and p["clientId"]
            and p["content"]
        ]
        value["started"] = bool(value.get("started"))
        value["leadCaptured"] = bool(value.get("leadCaptured"))
        user_id = value.get("userId")
        value["userId"] = user_id if isinstance(user_id, str) else None
        return cast(SavedConversation, value)

    def save(self, state: SavedConversation) -> None:
        self._set(json.dumps(state))

    def clear(self) -> None:
        if self.storage is not None:
            try:
                self.storage.removeItem(self.key)
                return
            except Exception:
                self.storage = None
        self._memory.pop(self.key, None)

    def _get(self) -> str | None:
        if self.storage is not None:
            try:
                value = self.storage.getItem(self.key)
                return None if value is None else str(value)
            except Exception:
                self.storage = None
        return self._memory.get(self.key)

    def _set(self, value: str) -> None:
        if self.storage is not None:
            try:
                self.storage.setItem(self.key, value)
                return
            except Exception:  # quota or a policy change: keep working without persistence
                self.storage = None
        self._memory[self.key] = value
